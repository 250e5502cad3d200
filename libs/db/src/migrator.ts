import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from '@keygate/logging';
import { quoteIdent, type Database } from './database';
import { DatabaseError, DatabaseTimeoutError, mapPgError } from './errors';

export interface Migration {
  /** `NNN_name`; executed in the order of the list, recorded in `schema_meta` by this name. */
  readonly name: string;
  readonly sql: string;
}

export interface ExecutedMigration {
  readonly name: string;
  readonly checksum: string;
  readonly executedAt: Date;
}

export interface SchemaState {
  readonly needsBootstrap: boolean;
  readonly executed: readonly ExecutedMigration[];
  /** In the code, not yet in the database. */
  readonly pending: readonly Migration[];
  /** In the database but unknown to this build (the database is newer than the code). */
  readonly unknown: readonly string[];
  /** Executed, but the code's SQL changed since (a release bug; never edit a migration). */
  readonly modified: readonly string[];
}

export const NEEDS_BOOTSTRAP_MESSAGE =
  "Database needs bootstrapping.\n\nTo start a new installation from scratch, run 'keygate migrations bootstrap'.";

export class SchemaNotReadyError extends DatabaseError {
  override readonly code = 'DB_SCHEMA_NOT_READY';
}

export function checksum(migration: Migration): string {
  return createHash('sha256').update(migration.sql).digest('hex');
}

/** Fails with the action to take unless the schema matches this build exactly. */
export function assertUpToDate(state: SchemaState): void {
  if (state.needsBootstrap) throw new SchemaNotReadyError(NEEDS_BOOTSTRAP_MESSAGE);
  if (state.unknown.length > 0) {
    throw new SchemaNotReadyError(
      `the database has migrations this Keygate does not know (${state.unknown.join(', ')}); it was migrated by a newer version`,
    );
  }
  if (state.modified.length > 0) {
    throw new SchemaNotReadyError(`executed migrations differ from this build's: ${state.modified.join(', ')}`);
  }
  if (state.pending.length > 0) {
    throw new SchemaNotReadyError(
      `new migrations available (${state.pending.map((m) => m.name).join(', ')}); run 'keygate migrations up' to proceed`,
    );
  }
}

export interface MigratorOptions {
  readonly db: Database;
  readonly logger: Logger;
  readonly migrations: readonly Migration[];
  /** Tables the migrations create, dropped by `reset` (a test checks the list is complete). */
  readonly tables: readonly string[];
  /** How long to wait for another node's migration run to finish. */
  readonly lockTimeoutMs?: number;
}

/** Advisory lock id for migrations (any constant works; this one is unlikely to collide). */
const LOCK_KEY = 7_263_548_112;

/**
 * Runs migrations under a session-level advisory lock, one transaction per migration, so that
 * two nodes migrating at once serialise and a failed migration leaves nothing behind.
 */
export class Migrator {
  readonly #db: Database;
  readonly #logger: Logger;

  constructor(private readonly options: MigratorOptions) {
    this.#db = options.db;
    this.#logger = options.logger;
  }

  async state(): Promise<SchemaState> {
    const exists = await this.#db.query<{ present: boolean }>(
      "SELECT to_regclass('schema_meta') IS NOT NULL AS present",
    );
    if (!exists.rows[0]?.present) {
      return { needsBootstrap: true, executed: [], pending: this.options.migrations, unknown: [], modified: [] };
    }
    const rows = await this.#db.query<{ name: string; checksum: string; executed_at: Date }>(
      'SELECT name, checksum, executed_at FROM schema_meta ORDER BY name',
    );
    const executed = rows.rows.map((r) => ({ name: r.name, checksum: r.checksum, executedAt: r.executed_at }));
    const byName = new Map(executed.map((e) => [e.name, e]));
    const known = new Map(this.options.migrations.map((m) => [m.name, m]));
    return {
      needsBootstrap: executed.length === 0,
      executed,
      pending: this.options.migrations.filter((m) => !byName.has(m.name)),
      unknown: executed.filter((e) => !known.has(e.name)).map((e) => e.name),
      modified: executed.filter((e) => known.has(e.name) && checksum(known.get(e.name)!) !== e.checksum).map((e) => e.name),
    };
  }

  /** Creates the schema on an empty database. `alreadyBootstrapped` when there was nothing to do. */
  async bootstrap(): Promise<{ alreadyBootstrapped: boolean; executed: string[] }> {
    return this.#withLock(async (client) => {
      const state = await this.state();
      if (!state.needsBootstrap) return { alreadyBootstrapped: true, executed: [] };
      const schema = this.#db.options.settings.schema;
      if (schema) await run(client, `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
      await run(client, `CREATE TABLE IF NOT EXISTS schema_meta (
        name        TEXT PRIMARY KEY,
        checksum    TEXT NOT NULL,
        executed_at TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
      return { alreadyBootstrapped: false, executed: await this.#runPending(client, state.pending) };
    });
  }

  /** Runs the migrations this database lacks. */
  async up(): Promise<{ executed: string[] }> {
    return this.#withLock(async (client) => {
      const state = await this.state();
      if (state.needsBootstrap) throw new SchemaNotReadyError(`Cannot run migrations: ${NEEDS_BOOTSTRAP_MESSAGE}`);
      if (state.unknown.length > 0) assertUpToDate(state);
      return { executed: await this.#runPending(client, state.pending) };
    });
  }

  /** Drops every table Keygate created. Returns false when there was nothing to reset. */
  async reset(): Promise<boolean> {
    return this.#withLock(async (client) => {
      const present = await client.query<{ present: boolean }>("SELECT to_regclass('schema_meta') IS NOT NULL AS present");
      if (!present.rows[0]?.present) return false;
      const tables = [...this.options.tables, 'schema_meta'].map((t) => `"${t}"`).join(', ');
      await run(client, `DROP TABLE IF EXISTS ${tables} CASCADE`);
      return true;
    });
  }

  async #runPending(client: pg.Client, pending: readonly Migration[]): Promise<string[]> {
    const done: string[] = [];
    for (const migration of pending) {
      this.#logger.info({ migration: migration.name }, 'running migration');
      await run(client, 'BEGIN');
      try {
        await run(client, migration.sql);
        await client.query('INSERT INTO schema_meta (name, checksum) VALUES ($1, $2)', [migration.name, checksum(migration)]);
        await run(client, 'COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new DatabaseError(`migration ${migration.name} failed: ${mapPgError(err).message}`, { cause: err });
      }
      done.push(migration.name);
    }
    return done;
  }

  async #withLock<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = await this.#db.newClient();
    try {
      await this.#acquire(client);
      try {
        return await fn(client);
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => undefined);
      }
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async #acquire(client: pg.Client): Promise<void> {
    const deadline = Date.now() + (this.options.lockTimeoutMs ?? 60_000);
    let announced = false;
    for (;;) {
      const res = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [LOCK_KEY]);
      if (res.rows[0]?.locked) return;
      if (!announced) {
        this.#logger.info('another node is performing database changes; waiting for it to finish');
        announced = true;
      }
      if (Date.now() > deadline) {
        throw new DatabaseTimeoutError('aborted: another node is performing database changes (migration lock not released in time)');
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

async function run(client: pg.Client, sql: string): Promise<void> {
  try {
    await client.query(sql);
  } catch (err) {
    throw mapPgError(err);
  }
}
