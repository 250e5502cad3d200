import { Database, DatabaseError, Migrator, MIGRATIONS, TABLES, assertUpToDate, connectionSettings, createIamAuth, waitForDatabase, type PasswordProvider, type PoolRole } from '@keygate/db';
import { livePassword } from './live-password';
import { registerDatabaseMetrics } from './metrics';
import type { AppContext } from './run-app';

export interface Databases {
  /** Read-write pool (`pg_*`). */
  readonly rw: Database;
  /** Read-only pool (`pg_ro_*`) when `pg_ro_host` is set, otherwise the read-write pool. */
  readonly ro: Database;
}

export function createMigrator(ctx: Pick<AppContext, 'logger'>, db: Database): Migrator {
  return new Migrator({ db, logger: ctx.logger, migrations: MIGRATIONS, tables: TABLES });
}

/**
 * Opens the pools, waits for PostgreSQL with bounded retries, refuses to run on a schema that
 * does not match this build (saying which migration command to run), and adds the database to
 * `GET /status` and (unless `readiness: false`) to readiness. The pools close when the node stops.
 */
export interface OpenDatabasesOptions {
  /** A proxy serves from memory while the database is away: it opts out of database readiness. */
  readonly readiness?: boolean;
  /** A password per new connection for a role (rotating secret reference, RDS IAM token). */
  readonly password?: (role: PoolRole) => PasswordProvider | undefined;
}

export async function openDatabases(ctx: AppContext, options: OpenDatabasesOptions = {}): Promise<Databases> {
  const { config, logger, node } = ctx;
  // RDS IAM tokens (pg_iam_auth) win over any other password source.
  const iam = createIamAuth(config, logger);
  const overrides = (role: PoolRole) => {
    const password = iam.password(role) ?? options.password?.(role) ?? livePassword(ctx, role);
    return password ? { password } : {};
  };
  const rw = new Database({ settings: connectionSettings(config, 'rw', overrides('rw'))!, logger, app: node.app });
  const roSettings = connectionSettings(config, 'ro', overrides('ro'));
  const ro = roSettings ? new Database({ settings: roSettings, logger, app: node.app }) : rw;
  const close = async () => {
    await Promise.all([rw.close(), ro.close()]);
  };
  try {
    await waitForDatabase(rw, logger);
    if (ro !== rw) await waitForDatabase(ro, logger);
    assertUpToDate(await createMigrator(ctx, rw).state());
  } catch (err) {
    await close();
    if (err instanceof DatabaseError) throw new Error(`database ${rw.target}: ${err.message}`, { cause: err });
    throw err;
  }
  ctx.defer(close);
  logger.info({ target: rw.target, read_only: ro === rw ? undefined : ro.target }, 'database connected');

  registerDatabaseMetrics(ctx.metrics, ro === rw ? [rw] : [rw, ro], () => iam.tokensSigned());
  const reachable = async (db: Database) => db.ping().then(() => true, () => false);
  ctx.status.addSection('database', async () => ({
    reachable: await reachable(rw),
    ...(ro === rw ? {} : { read_only_reachable: await reachable(ro) }),
    pool: rw.stats(),
  }));
  // A proxy serves from memory while the database is away: it opts out (`readiness: false`).
  if (options.readiness ?? true) ctx.status.addReadinessCheck(async () => ((await reachable(rw)) ? undefined : 'database is not reachable'));
  return { rw, ro };
}
