import { existsSync, readFileSync } from 'node:fs';
import { ConfigError, type ConfigIssue } from './errors';
import { ENV_PREFIX, envNameFor, type Env } from './env';
import { parseKongConf } from './kong-conf';
import { KEYS, VAULT_KEY_PATTERN } from './keys';
import type { ValueSource } from './source';
import type { SecretLayer } from './sources/aws-secret';

/** A raw setting before validation: its text and where it came from. */
export interface RawSetting {
  readonly value: string;
  readonly source: ValueSource;
}

export type RawSettings = Map<string, RawSetting>;

/** Kong's default locations, tried in order when neither `-c` nor `KONG_CONF` is given. */
export const DEFAULT_CONF_PATHS = ['/etc/kong/kong.conf', '/etc/kong.conf'];

/** Environment variables with the `KONG_` prefix that are not configuration keys. */
const NON_KEY_ENV = new Set(['KONG_CONF']);

export function findConfFile(explicit: string | undefined, env: Env, defaults: readonly string[]): string | undefined {
  const chosen = explicit ?? env.KONG_CONF;
  if (chosen !== undefined && chosen !== '') {
    if (!existsSync(chosen)) {
      throw new ConfigError([{ key: 'conf', message: `configuration file not found: ${chosen}` }]);
    }
    return chosen;
  }
  return defaults.find((path) => existsSync(path));
}

function isKnown(key: string): boolean {
  return Object.hasOwn(KEYS, key) || VAULT_KEY_PATTERN.test(key);
}

/**
 * Reads the file and the environment into one map, later layers winning: programmatic defaults,
 * a node configuration from AWS Secrets Manager (if any), the file, then `KONG_*` env, then
 * programmatic overrides.
 * An empty value resets the key to its default (Kong turns `""` into "unset").
 */
export function collectSettings(
  file: string | undefined,
  env: Env,
  overrides: Readonly<Record<string, string>>,
  warnings: string[],
  secret?: SecretLayer,
  defaults: Readonly<Record<string, string>> = {},
): RawSettings {
  const settings: RawSettings = new Map();
  const issues: ConfigIssue[] = [];
  const put = (key: string, value: string, source: ValueSource) => {
    if (value.trim() === '') settings.delete(key);
    else settings.set(key, { value, source });
  };

  for (const [key, value] of Object.entries(defaults)) {
    if (!isKnown(key)) issues.push({ key, message: 'unknown configuration key' });
    else put(key, value, { kind: 'override', name: `default ${key}` });
  }

  for (const [key, value] of Object.entries(secret?.settings ?? {})) {
    if (!isKnown(key)) warnings.push(`unknown configuration key '${key}' in ${describeSecret(secret)} (ignored)`);
    else put(key, value, secret!.source);
  }

  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError([{ key: 'conf', message: `cannot read configuration file ${file}: ${(err as Error).message}` }]);
    }
    const parsed = parseKongConf(text);
    for (const error of parsed.errors) {
      issues.push({ key: `line ${error.line}`, source: { kind: 'file', file, line: error.line }, message: error.message });
    }
    for (const entry of parsed.entries) {
      if (!isKnown(entry.key)) warnings.push(`unknown configuration key '${entry.key}' in ${file}:${entry.line} (ignored)`);
      else put(entry.key, entry.value, { kind: 'file', file, line: entry.line });
    }
  }

  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || NON_KEY_ENV.has(name) || value === undefined) continue;
    const key = name.slice(ENV_PREFIX.length).toLowerCase();
    if (!isKnown(key) || envNameFor(key) !== name) {
      warnings.push(`unknown configuration variable ${name} (ignored)`);
      continue;
    }
    put(key, value, { kind: 'env', name });
  }

  for (const [key, value] of Object.entries(overrides)) {
    if (!isKnown(key)) {
      issues.push({ key, message: 'unknown configuration key' });
      continue;
    }
    put(key, value, { kind: 'override', name: `override ${key}` });
  }

  if (issues.length > 0) throw new ConfigError(issues);
  return settings;
}

const describeSecret = (secret: SecretLayer | undefined) => (secret?.source.kind === 'aws-secret' ? `AWS secret ${secret.source.name}` : 'the secret');
