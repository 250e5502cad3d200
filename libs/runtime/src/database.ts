import { Database, DatabaseError, Migrator, MIGRATIONS, TABLES, assertUpToDate, connectionSettings, waitForDatabase } from '@keygate/db';
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
 * `GET /status` and to readiness. The pools close when the node stops.
 */
export async function openDatabases(ctx: AppContext): Promise<Databases> {
  const { config, logger, node } = ctx;
  const rw = new Database({ settings: connectionSettings(config, 'rw')!, logger, app: node.app });
  const roSettings = connectionSettings(config, 'ro');
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

  const reachable = async (db: Database) => db.ping().then(() => true, () => false);
  ctx.status.addSection('database', async () => ({
    reachable: await reachable(rw),
    ...(ro === rw ? {} : { read_only_reachable: await reachable(ro) }),
    pool: rw.stats(),
  }));
  ctx.status.addReadinessCheck(async () => ((await reachable(rw)) ? undefined : 'database is not reachable'));
  return { rw, ro };
}
