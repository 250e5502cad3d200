import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { Config } from '@keygate/config';
import { Secret } from '@keygate/crypto';

export type PoolRole = 'rw' | 'ro';

/** Supplies the password for each new connection (static, rotated secret, RDS IAM token...). */
export type PasswordProvider = () => Promise<Secret<string> | undefined>;

/** Everything needed to open connections for one role, resolved from `pg_*` / `pg_ro_*`. */
export interface ConnectionSettings {
  readonly role: PoolRole;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: PasswordProvider;
  readonly database: string;
  readonly schema: string | undefined;
  readonly ssl: ConnectionOptions | false;
  readonly timeoutMs: number;
  readonly semaphoreTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly poolSize: number;
  readonly backlog: number | undefined;
}

export class DatabaseSettingsError extends Error {
  readonly code = 'DB_SETTINGS_INVALID';
  constructor(readonly key: string, message: string) {
    super(`${key}: ${message}`);
    this.name = 'DatabaseSettingsError';
  }
}

const DEFAULT_POOL_SIZE = 10;
const DEFAULT_IDLE_MS = 60_000;

type PgField =
  | 'host' | 'port' | 'timeout' | 'user' | 'password' | 'database' | 'schema' | 'ssl' | 'ssl_verify'
  | 'ssl_version' | 'ssl_cert' | 'ssl_cert_key' | 'max_concurrent_queries' | 'semaphore_timeout'
  | 'keepalive_timeout' | 'pool_size' | 'backlog';

/**
 * Settings for the read-write (`pg_*`) or read-only (`pg_ro_*`) connection. The read-only one
 * exists only when `pg_ro_host` is set, and each unset `pg_ro_*` key falls back to `pg_*`.
 */
export interface SettingsOverrides {
  /**
   * Supplies the password for each new connection instead of the static `pg_password`: a secret
   * reference that rotates, or an RDS IAM token. Existing connections keep working.
   */
  readonly password?: PasswordProvider;
}

export function connectionSettings(config: Config, role: PoolRole, overrides: SettingsOverrides = {}): ConnectionSettings | undefined {
  if (role === 'ro' && config.pg_ro_host === undefined) return undefined;
  const get = <F extends PgField>(field: F): Config[`pg_${F}`] => {
    if (role === 'ro') {
      const ro = config[`pg_ro_${field}` as keyof Config];
      if (ro !== undefined) return ro as Config[`pg_${F}`];
    }
    return config[`pg_${field}`];
  };
  const prefix = role === 'ro' ? 'pg_ro' : 'pg';
  const password = get('password');
  const maxConcurrent = get('max_concurrent_queries');
  const poolSize = get('pool_size') ?? DEFAULT_POOL_SIZE;
  return {
    role,
    host: get('host'),
    port: get('port'),
    user: get('user'),
    password: overrides.password ?? (async () => password),
    database: get('database'),
    schema: get('schema'),
    // RDS IAM auth needs TLS: turned on when unset (an explicit `pg_ssl = off` is refused at start).
    ssl: get('ssl') || iamAuthEnabled(config, role) ? tlsOptions(config, prefix, get) : false,
    timeoutMs: get('timeout'),
    semaphoreTimeoutMs: get('semaphore_timeout'),
    idleTimeoutMs: get('keepalive_timeout') ?? DEFAULT_IDLE_MS,
    poolSize: maxConcurrent > 0 ? Math.min(maxConcurrent, poolSize) : poolSize,
    backlog: get('backlog'),
  };
}

/** `pg_iam_auth` for the read-write connection; `pg_ro_iam_auth`, inheriting it when unset, for read-only. */
export function iamAuthEnabled(config: Config, role: PoolRole): boolean {
  return role === 'rw' ? config.pg_iam_auth : (config.pg_ro_iam_auth ?? config.pg_iam_auth);
}

function tlsOptions(
  config: Config,
  prefix: string,
  get: <F extends PgField>(field: F) => Config[`pg_${F}`],
): ConnectionOptions {
  const version = get('ssl_version');
  const options: ConnectionOptions = {
    rejectUnauthorized: get('ssl_verify'),
    minVersion: version === 'tlsv1_3' ? 'TLSv1.3' : version === 'tlsv1_2' ? 'TLSv1.2' : undefined,
  };
  const trusted = config.lua_ssl_trusted_certificate;
  if (options.rejectUnauthorized && trusted !== 'system') {
    options.ca = trusted.split(',').map((path) => readPem('lua_ssl_trusted_certificate', path.trim()));
  }
  const cert = get('ssl_cert');
  const key = get('ssl_cert_key');
  if (cert !== undefined && key !== undefined) {
    options.cert = readPem(`${prefix}_ssl_cert`, cert);
    options.key = readPem(`${prefix}_ssl_cert_key`, key);
  }
  return options;
}

function readPem(key: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new DatabaseSettingsError(key, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** `host:port/database as user`, for messages (never the password). */
export function describeTarget(settings: ConnectionSettings): string {
  return `${settings.host}:${settings.port}/${settings.database} as ${settings.user}`;
}
