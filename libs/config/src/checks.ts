import type { ConfigIssue } from './errors';
import type { RawSettings } from './layers';
import type { Config } from './load';

/** Rules spanning several keys, run after every key validated on its own. */
export type ConfigCheck = (config: Config, settings: RawSettings) => ConfigIssue[];

const mtlsPair =
  (prefix: 'pg' | 'pg_ro'): ConfigCheck =>
  (config, settings) => {
    const cert = config[`${prefix}_ssl_cert`];
    const key = config[`${prefix}_ssl_cert_key`];
    if ((cert === undefined) === (key === undefined)) return [];
    const missing = cert === undefined ? `${prefix}_ssl_cert` : `${prefix}_ssl_cert_key`;
    const present = cert === undefined ? `${prefix}_ssl_cert_key` : `${prefix}_ssl_cert`;
    return [{ key: missing, source: settings.get(present)?.source, message: `must be set together with ${present}` }];
  };

export const CONFIG_CHECKS: readonly ConfigCheck[] = [mtlsPair('pg'), mtlsPair('pg_ro')];
