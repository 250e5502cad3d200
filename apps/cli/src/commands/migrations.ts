import { createInterface } from 'node:readline/promises';
import { AdminAuthError, AdminSecrets, bootstrapSuperAdmin, BOOTSTRAP_USER } from '@keygate/admin-auth';
import { loadConfig, type Config, type Env } from '@keygate/config';
import { Database, NEEDS_BOOTSTRAP_MESSAGE, connectionSettings, createIamAuth, waitForDatabase } from '@keygate/db';
import { createLogger, type Logger } from '@keygate/logging';
import { createMigrator, readNodeConfigSecret } from '@keygate/runtime';
import { vaultReferences } from '@keygate/vaults';
import type { Output } from '../output';

export interface MigrationsOptions {
  readonly conf?: string;
  readonly yes?: boolean;
  /** Seconds to wait for another node's migrations to finish. */
  readonly lockTimeout?: number;
  /** The caller's environment and settings (`cluster up`: its emulators, database and generated cluster secret). */
  readonly env?: Env;
  readonly overrides?: Readonly<Record<string, string>>;
  readonly defaults?: Readonly<Record<string, string>>;
}

/** Exit codes of `kong migrations list`, kept for scripts that check them. */
export const LIST_EXIT = { upToDate: 0, needsBootstrap: 3, newMigrations: 5 } as const;

type Migrator = ReturnType<typeof createMigrator>;

export async function withMigrator<T>(options: MigrationsOptions, fn: (m: Migrator, db: Database, logger: Logger, config: Config) => Promise<T>): Promise<T> {
  // References (`KONG_PG_PASSWORD={vault://aws/...}`) are resolved here too; Kong cannot.
  const { conf, env, overrides, defaults } = options;
  const loaded = await loadConfig({ ...(conf ? { file: conf } : {}), env, overrides, defaults, resolve: vaultReferences(), awsSecret: { read: readNodeConfigSecret } });
  // The command's own output goes to stdout; the log (warnings, or more with log_level) to stderr.
  const level = loaded.config.log_level === 'notice' || loaded.config.log_level === 'info' ? 'warn' : loaded.config.log_level;
  const logger = createLogger({ level, bindings: { app: 'cli' }, stderr: true, redactValues: loaded.referenceValues() });
  // Migrations may run longer than pg_timeout (index builds): no statement timeout here.
  // Migrations sign RDS IAM tokens like the nodes do (pg_iam_auth), so `-c kong.conf` is enough.
  const iam = createIamAuth(loaded.config, logger).password('rw');
  const db = new Database({ settings: connectionSettings(loaded.config, 'rw', iam ? { password: iam } : {})!, logger, app: 'migrations', statementTimeoutMs: 0 });
  try {
    await waitForDatabase(db, logger, { attempts: 5 });
    const migrator = createMigrator({ logger }, db);
    return await fn(migrator, db, logger, loaded.config);
  } finally {
    await db.close();
  }
}

function databaseName(db: Database): string {
  return db.options.settings.database;
}

/** How a migrations run ended: its exit code, and what became of `KONG_PASSWORD`'s super admin. */
export interface MigrationsOutcome {
  readonly code: number;
  /** Set when `password` (KONG_PASSWORD) is: made by this run, or there already. */
  readonly superAdmin?: 'created' | 'exists';
}

/**
 * Kong Enterprise's `KONG_PASSWORD`: the super admin `kong_admin` with that value as its
 * `Kong-Admin-Token`, made once (after bootstrap, or `up` on a database that has none).
 */
async function seedSuperAdmin(db: Database, config: Config, out: Output): Promise<MigrationsOutcome> {
  if (!config.password) return { code: 0 };
  if (!config.keyring_cluster_secret) {
    out.err('Error: password (KONG_PASSWORD) needs keyring_cluster_secret: RBAC rows are signed with it');
    return { code: 1 };
  }
  let created: boolean;
  try {
    created = await bootstrapSuperAdmin(db, new AdminSecrets(config.keyring_cluster_secret), config.password);
  } catch (err) {
    // RBAC rows signed with another keyring_cluster_secret, or changed outside Keygate.
    if (!(err instanceof AdminAuthError)) throw err;
    out.err(`Error: cannot create the super admin '${BOOTSTRAP_USER}': ${err.message}`);
    return { code: 1 };
  }
  if (!created) return { code: 0, superAdmin: 'exists' };
  out.log(`RBAC super admin '${BOOTSTRAP_USER}' created (its Kong-Admin-Token is KONG_PASSWORD)`);
  return { code: 0, superAdmin: 'created' };
}

async function bootstrap(migrator: Migrator, db: Database, config: Config, out: Output): Promise<MigrationsOutcome> {
  out.log('Bootstrapping database...');
  out.log(`migrating core on database '${databaseName(db)}'...`);
  const result = await migrator.bootstrap();
  if (result.alreadyBootstrapped) {
    out.log('Database already bootstrapped');
    return { code: 0 };
  }
  reportExecuted(result.executed, out);
  out.log('Database is up-to-date');
  return seedSuperAdmin(db, config, out);
}

async function up(migrator: Migrator, db: Database, config: Config, out: Output): Promise<MigrationsOutcome> {
  if ((await migrator.state()).pending.length === 0) {
    out.log('Database is already up-to-date');
    return seedSuperAdmin(db, config, out);
  }
  out.log(`migrating core on database '${databaseName(db)}'...`);
  const result = await migrator.up();
  reportExecuted(result.executed, out);
  out.log('Database is up-to-date');
  return seedSuperAdmin(db, config, out);
}

export async function migrationsBootstrap(options: MigrationsOptions, out: Output): Promise<number> {
  return withMigrator(options, async (migrator, db, _logger, config) => {
    if (!(await migrator.state()).needsBootstrap) {
      out.log('Database already bootstrapped');
      return 0;
    }
    return (await bootstrap(migrator, db, config, out)).code;
  });
}

export async function migrationsUp(options: MigrationsOptions, out: Output): Promise<number> {
  return withMigrator(options, async (migrator, db, _logger, config) => {
    if ((await migrator.state()).needsBootstrap) {
      out.err(`Cannot run migrations: ${NEEDS_BOOTSTRAP_MESSAGE}`);
      return 1;
    }
    return (await up(migrator, db, config, out)).code;
  });
}

/** `keygate cluster up`: `bootstrap` on a new database, else `up`; either way with `KONG_PASSWORD`'s super admin. */
export async function migrationsBootstrapOrUp(options: MigrationsOptions, out: Output): Promise<MigrationsOutcome> {
  return withMigrator(options, async (migrator, db, _logger, config) => ((await migrator.state()).needsBootstrap ? bootstrap : up)(migrator, db, config, out));
}

/** Keygate's migrations are single-phase; `finish` exists so Kong's upgrade scripts run unchanged. */
export async function migrationsFinish(options: MigrationsOptions, out: Output): Promise<number> {
  return withMigrator(options, async (migrator) => {
    const state = await migrator.state();
    if (state.needsBootstrap) {
      out.err(`Cannot run migrations: ${NEEDS_BOOTSTRAP_MESSAGE}`);
      return 1;
    }
    out.log('No pending migrations to finish');
    if (state.pending.length > 0) out.log("\nNew migrations available; run 'keygate migrations up' to proceed");
    return 0;
  });
}

export async function migrationsList(options: MigrationsOptions, out: Output): Promise<number> {
  return withMigrator(options, async (migrator) => {
    const state = await migrator.state();
    if (state.needsBootstrap) {
      out.log(NEEDS_BOOTSTRAP_MESSAGE);
      return LIST_EXIT.needsBootstrap;
    }
    out.log('Executed migrations:');
    out.log(`core: ${state.executed.map((m) => m.name).join(', ')}`);
    if (state.unknown.length > 0) out.log(`\nUnknown to this version (database is newer): ${state.unknown.join(', ')}`);
    if (state.modified.length > 0) out.log(`\nChanged since executed: ${state.modified.join(', ')}`);
    if (state.pending.length > 0) {
      out.log('\nNew migrations available:');
      out.log(`core: ${state.pending.map((m) => m.name).join(', ')}`);
      out.log("\nRun 'keygate migrations up' to proceed");
      return LIST_EXIT.newMigrations;
    }
    return LIST_EXIT.upToDate;
  });
}

export async function migrationsReset(options: MigrationsOptions, out: Output): Promise<number> {
  if (!options.yes) {
    if (!process.stdin.isTTY) {
      out.err("Error: not a tty: refusing to reset the database without confirmation; pass --yes");
      return 1;
    }
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    const answer = await rl.question('Are you sure? This operation is irreversible. [y/N] ');
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) {
      out.log('Canceled');
      return 0;
    }
  }
  return withMigrator(options, async (migrator) => {
    out.log('Resetting database...');
    if (!(await migrator.reset())) {
      out.log('Database not bootstrapped, nothing to reset');
      return 1;
    }
    out.log('Database successfully reset');
    return 0;
  });
}

function reportExecuted(executed: readonly string[], out: Output): void {
  if (executed.length > 0) out.log(`core migrated up to: ${executed[executed.length - 1]} (executed)`);
  out.log(`${executed.length} migration${executed.length === 1 ? '' : 's'} processed`);
  out.log(`${executed.length} executed`);
}
