import { loadRsaKey } from '@keygate/crypto';
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

/**
 * Listener certificates and keys come in pairs, in the same order (Kong's rule and texts). The
 * files are read by the node that serves the listener, at start (libs/runtime `listener-tls.ts`).
 */
const listenerTlsPairs: ConfigCheck = (config, settings) => {
  const issues: ConfigIssue[] = [];
  for (const prefix of ['', 'admin_', 'status_', 'admin_gui_'] as const) {
    const certKey = `${prefix}ssl_cert` as const;
    const keyKey = `${prefix}ssl_cert_key` as const;
    const certs = config[certKey]?.length ?? 0;
    const keys = config[keyKey]?.reveal().length ?? 0;
    if (certs === keys) continue;
    const source = settings.get(certs > 0 ? certKey : keyKey)?.source;
    if (certs === 0) issues.push({ key: certKey, source, message: `must be specified (${keyKey} is set)` });
    else if (keys === 0) issues.push({ key: keyKey, source, message: `must be specified (${certKey} is set)` });
    else issues.push({ key: certKey, source, message: `was specified ${certs} times while ${keyKey} was specified ${keys} times` });
  }
  return issues;
};

/** With the keyring on, each RSA key setting must hold a readable RSA key of the right kind. */
const keyringKeys: ConfigCheck = (config, settings) => {
  if (!config.keyring_enabled) return [];
  const checks = [
    ['keyring_public_key', config.keyring_public_key, 'public'],
    ['keyring_recovery_public_key', config.keyring_recovery_public_key, 'public'],
    ['keyring_private_key', config.keyring_private_key?.reveal(), 'private'],
  ] as const;
  const issues: ConfigIssue[] = [];
  for (const [key, value, kind] of checks) {
    if (value === undefined) continue;
    try {
      loadRsaKey(key, value, kind);
    } catch (err) {
      // The message names the file (never the key itself).
      issues.push({ key, source: settings.get(key)?.source, message: (err as Error).message.replace(`${key}: `, '') });
    }
  }
  return issues;
};

/** The vault strategy needs an address, a KV v2 mount and path, and a way to authenticate. */
const vaultStrategy: ConfigCheck = (config, settings) => {
  if (!config.keyring_enabled || config.keyring_strategy !== 'vault') return [];
  const source = settings.get('keyring_strategy')?.source;
  const required = ['keyring_vault_host', 'keyring_vault_mount', 'keyring_vault_path'] as const;
  const issues: ConfigIssue[] = required
    .filter((key) => config[key] === undefined)
    .map((key) => ({ key, source, message: 'required when keyring_strategy = vault' }));
  if (config.keyring_vault_auth_method === 'token' && config.keyring_vault_token === undefined) {
    issues.push({ key: 'keyring_vault_token', source, message: 'required when keyring_strategy = vault and keyring_vault_auth_method = token' });
  }
  return issues;
};

/**
 * RDS IAM authentication needs TLS and cannot use a client certificate. Kong turns `pg_ssl` on
 * silently; Keygate does too when it is unset, but an explicit `pg_ssl = off` contradicts
 * `pg_iam_auth = on` and is refused. `pg_ro_iam_auth` inherits `pg_iam_auth` when unset, as
 * Kong's documentation says (Kong's source does not).
 */
const iamAuth: ConfigCheck = (config, settings) => {
  const issues: ConfigIssue[] = [];
  for (const prefix of ['pg', 'pg_ro'] as const) {
    if (prefix === 'pg_ro' && config.pg_ro_host === undefined) continue;
    const iam = prefix === 'pg' ? config.pg_iam_auth : (config.pg_ro_iam_auth ?? config.pg_iam_auth);
    if (!iam) continue;
    const iamKey = prefix === 'pg_ro' && config.pg_ro_iam_auth !== undefined ? 'pg_ro_iam_auth' : 'pg_iam_auth';
    const sslKey = prefix === 'pg_ro' && settings.has('pg_ro_ssl') ? 'pg_ro_ssl' : 'pg_ssl';
    const ssl = sslKey === 'pg_ro_ssl' ? config.pg_ro_ssl : config.pg_ssl;
    if (settings.has(sslKey) && ssl === false) {
      issues.push({ key: sslKey, source: settings.get(sslKey)?.source, message: `must not be off with ${iamKey} = on: RDS IAM authentication works only over TLS` });
    }
    const cert = prefix === 'pg' ? config.pg_ssl_cert : (config.pg_ro_ssl_cert ?? config.pg_ssl_cert);
    const certKey = prefix === 'pg' ? config.pg_ssl_cert_key : (config.pg_ro_ssl_cert_key ?? config.pg_ssl_cert_key);
    if (cert !== undefined || certKey !== undefined) {
      issues.push({
        key: `${prefix}_ssl_cert`,
        source: settings.get(`${prefix}_ssl_cert`)?.source ?? settings.get('pg_ssl_cert')?.source,
        message: `mTLS connection to postgres cannot be used when ${iamKey} is enabled, so ${prefix}_ssl_cert and ${prefix}_ssl_cert_key must not be specified`,
      });
    }
  }
  return issues;
};

/** RBAC rows and the audit chain are keyed with the cluster secret. */
const adminSecurity: ConfigCheck = (config, settings) => {
  const issues: ConfigIssue[] = [];
  for (const key of ['enforce_rbac', 'audit_log'] as const) {
    const on = key === 'audit_log' ? config.audit_log : config.enforce_rbac !== 'off';
    if (on && config.keyring_cluster_secret === undefined) {
      issues.push({ key: 'keyring_cluster_secret', source: settings.get(key)?.source, message: `required when ${key} is on (RBAC rows and the audit chain are keyed with it)` });
    }
  }
  return issues;
};

/** An enrolled node's admission: long enough to renew, short enough for revocation to bite. */
const admissionTtl: ConfigCheck = (config, settings) =>
  config.cluster_admission_ttl < 10_000 || config.cluster_admission_ttl > 7 * 86_400_000
    ? [{ key: 'cluster_admission_ttl', source: settings.get('cluster_admission_ttl')?.source, message: 'expected a duration from 10s to 7d' }]
    : [];

export const CONFIG_CHECKS: readonly ConfigCheck[] = [mtlsPair('pg'), mtlsPair('pg_ro'), listenerTlsPairs, keyringKeys, vaultStrategy, iamAuth, adminSecurity, admissionTtl];
