import { key, type KeySpec } from '../spec';
import { boolean, integer, oneOf, port, secretString, string } from '../types';

const MAX = Number.MAX_SAFE_INTEGER;

/** The `pg_*` settings, named without their prefix. */
const PG_FIELDS = {
  host: key({ type: string(), default: '127.0.0.1', origin: 'kong', doc: 'PostgreSQL host.' }),
  port: key({ type: port(), default: '5432', origin: 'kong', doc: 'PostgreSQL port.' }),
  timeout: key({ type: integer(1, MAX), default: '5000', origin: 'kong', doc: 'Connect and query timeout in milliseconds.' }),
  user: key({ type: string(), default: 'kong', origin: 'kong', doc: 'User. May be a `{vault://...}` reference.' }),
  password: key({ type: secretString(), origin: 'kong', secret: true, doc: 'Password. May be a `{vault://...}` reference. Never printed.' }),
  database: key({ type: string(), default: 'kong', origin: 'kong', doc: 'Database name.' }),
  schema: key({ type: string(), origin: 'kong', doc: "Schema; unset uses the server's `search_path` (normally `public`)." }),
  ssl: key({ type: boolean(), default: 'off', origin: 'kong', doc: 'Connect with TLS.' }),
  ssl_verify: key({ type: boolean(), default: 'off', origin: 'kong', doc: 'Verify the server certificate against `lua_ssl_trusted_certificate`.' }),
  ssl_required: key({ type: boolean(), default: 'off', origin: 'kong-ee', doc: 'Refuse to connect without TLS.' }),
  ssl_version: key({ type: oneOf('tlsv1_2', 'tlsv1_3', 'any'), default: 'tlsv1_2', origin: 'kong-ee', doc: 'Minimum TLS version.' }),
  ssl_cert: key({ type: string('a file path'), origin: 'kong-ee', doc: 'Client certificate (PEM file) for mutual TLS.' }),
  ssl_cert_key: key({ type: string('a file path'), origin: 'kong-ee', doc: 'Client certificate key (PEM file) for mutual TLS.' }),
  max_concurrent_queries: key({ type: integer(0, MAX), default: '0', origin: 'kong', doc: 'Queries in flight per process; 0 = limited only by the pool size.' }),
  semaphore_timeout: key({ type: integer(1, MAX), default: '60000', origin: 'kong', doc: 'Milliseconds a query waits for a free connection before failing.' }),
  keepalive_timeout: key({ type: integer(1, MAX), origin: 'kong', doc: 'Milliseconds an idle connection is kept open; unset: 60000.' }),
  pool_size: key({ type: integer(1, 10_000), origin: 'kong', doc: 'Connections per process; unset: 10 (Kong: 256 per nginx worker).' }),
  backlog: key({ type: integer(1, MAX), origin: 'kong', doc: 'Queries allowed to wait for a connection; unset: no limit.' }),
  iam_auth: key({ type: boolean(), default: 'off', origin: 'kong-ee', doc: 'Authenticate to Amazon RDS with short-lived AWS IAM tokens instead of a password (TLS is then required; `pg_password` is ignored).' }),
  iam_auth_assume_role_arn: key({ type: string('an IAM role ARN'), origin: 'kong-ee', doc: 'Role to assume (through STS) before signing IAM tokens.' }),
  iam_auth_role_session_name: key({ type: string(), default: 'KongPostgres', origin: 'kong-ee', doc: 'Session name of the assumed role.' }),
  iam_auth_sts_endpoint_url: key({ type: string('a URL such as https://sts.eu-west-1.amazonaws.com'), origin: 'kong-ee', doc: 'STS endpoint for the assume-role call (private VPC endpoints); unset: `vault_aws_sts_endpoint_url`, else the regional STS endpoint.' }),
};

type Fields = typeof PG_FIELDS;
type Prefixed<P extends string, T> = { [K in keyof T & string as `${P}_${K}`]: T[K] };
type Unset<T> = { [K in keyof T]: T[K] extends KeySpec<infer V> ? KeySpec<V | undefined> : never };

function prefixed<P extends string, T extends Record<string, unknown>>(prefix: P, fields: T): Prefixed<P, T> {
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [`${prefix}_${k}`, v])) as Prefixed<P, T>;
}

/**
 * `pg_ro_*`: the read-only connection exists only when `pg_ro_host` is set; each unset
 * `pg_ro_*` key falls back to its `pg_*` value, as in Kong. So none has a default of its own.
 */
function readOnlyFields(): Unset<Fields> {
  const entries = Object.entries(PG_FIELDS).map(([name, spec]) => {
    const { default: _ignored, ...rest } = spec as KeySpec<unknown>;
    const lead = name === 'host' ? 'Host of the read-only connection; setting it enables that connection.' : `Read-only connection: ${rest.doc.charAt(0).toLowerCase()}${rest.doc.slice(1)}`;
    return [name, { ...rest, doc: `${lead} Unset: \`pg_${name}\`.` }];
  });
  return Object.fromEntries(entries) as Unset<Fields>;
}

export const POSTGRES_KEYS = prefixed('pg', PG_FIELDS);
export const POSTGRES_RO_KEYS = prefixed('pg_ro', readOnlyFields());

/** The suffixes shared by `pg_*` and `pg_ro_*` (for the read-only fallback). */
export const PG_FIELD_NAMES = Object.keys(PG_FIELDS) as ReadonlyArray<keyof Fields>;

export const IAM_KEYS = {
  pg_iam_auth_max_connections_per_second: key({
    type: integer(1, 10_000),
    default: '100',
    origin: 'keygate',
    doc: 'New IAM-authenticated connections this process opens per second at most (RDS throttles around 200 new IAM authentications per second per instance).',
  }),
};

export const TLS_KEYS = {
  lua_ssl_trusted_certificate: key({
    type: string('`system` or a comma-separated list of PEM file paths'),
    default: 'system',
    origin: 'kong',
    doc: 'CA certificates used to verify PostgreSQL (with `pg_ssl_verify`) and other TLS peers. `system` = the system trust store.',
  }),
};
