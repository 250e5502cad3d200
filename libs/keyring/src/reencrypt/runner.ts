import { encryptField, fieldKeyId, KeyNotAvailableError, NonceSource, type DataKey, type DecryptedField } from '@keygate/crypto';
import { quoteIdent, type Database, type Queryable, type Row } from '@keygate/db';
import { encryptedColumns, encryptedPaths, fromRow, getPath, withPath, type Entity, type EntityDefinition } from '@keygate/entities';
import type { Logger } from '@keygate/logging';
import type { Keyring } from '../keyring';
import type { KeyringFieldProtector } from '../protector';
import type { KeyringStore } from '../store';
import { logUpgrades, type LegacyUpgrade } from './upgrades';
import { MAX_ERRORS, type Cursor, type ReencryptRuns, type Run, type RunError, type TableStats } from './runs';

export interface ReencryptDeps {
  readonly db: Database;
  /** Entity definitions: which tables and fields are encrypted comes from their schemas. */
  readonly definitions: readonly EntityDefinition[];
  readonly keyring: Keyring;
  /** Decrypts under this node's policy: legacy formats only as `keyring_accept_plaintext` and key origins allow. */
  readonly protector: KeyringFieldProtector;
  readonly store: KeyringStore;
  readonly runs: ReencryptRuns;
  readonly logger: Logger;
  readonly batchSize: number;
  /** Called after each committed batch (job progress). */
  readonly onProgress?: (run: { stats: Record<string, TableStats>; cursor: Cursor }) => Promise<void> | void;
}

type Usage = Record<string, Record<string, number>>;

/** Thrown when the run must be retried later (another run holds the lock, the key is not here yet). */
export class RetryLaterError extends Error {
  readonly code = 'REENCRYPT_RETRY_LATER';
}

const LOCK = 7_263_548_114;

/**
 * Whether some node is running a re-encryption now (holds the cluster-wide advisory lock). A
 * killed worker's session ends with it, so after a crash this is false at once, while Redis still
 * shows the dead worker's job as active until its lock expires.
 */
export async function reencryptionInProgress(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ held: boolean }>(
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1 AND granted AND ((classid::bigint << 32) | objid::bigint) = $1) AS held",
    [LOCK],
  );
  return rows[0]?.held === true;
}
const zero = (total: number): TableStats => ({ total, scanned: 0, rewritten: 0, skipped: 0, conflicts: 0, failed: 0 });

/**
 * Rewrites every encrypted field not under the target key, table by table in keyset-paginated batches. Each batch is one transaction that also
 * stores the checkpoint, so a killed worker resumes where it stopped; every rewrite is a
 * compare-and-swap, so a concurrent Admin API write is never overwritten. One run at a time
 * cluster-wide (advisory lock); a run stops early when another key was activated since.
 * Legacy values are upgraded only where reads accept them (Kong's `$ke$1$` under keys imported
 * from Kong, plaintext with `keyring_accept_plaintext`), and every upgraded row id is logged;
 * anything else (a forged downgrade) is left untouched and listed in the run's errors.
 */
export class ReencryptRunner {
  constructor(private readonly deps: ReencryptDeps) {}

  async run(runId: string): Promise<Run> {
    const run = await this.deps.runs.get(runId);
    if (!run) throw new Error(`re-encryption run ${runId} not found`);
    if (run.state === 'done' || run.state === 'superseded') return run;
    const lock = await this.deps.db.newClient();
    try {
      const locked = (await lock.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [LOCK])).rows[0]?.ok;
      if (!locked) throw new RetryLaterError('another re-encryption run is in progress');
      return await this.#runLocked(run);
    } finally {
      await lock.end().catch(() => undefined);
    }
  }

  async #runLocked(run: Run): Promise<Run> {
    const { runs, keyring, logger } = this.deps;
    const key = keyring.get(run.target_key_id);
    if (!key) throw new RetryLaterError(`key ${run.target_key_id} is not on this node yet`);
    const stats: Record<string, TableStats> = { ...run.stats };
    const errors: RunError[] = [...run.errors];
    const usage: Usage = {};
    const tables = this.deps.definitions.filter((def) => encryptedColumns(def).length > 0);
    for (const def of tables) stats[def.name] ??= zero(await this.#count(def));
    await runs.markRunning(run.id, stats);
    const startAt = run.cursor ? Math.max(0, tables.findIndex((t) => t.name === run.cursor!.table)) : 0;
    const started = Date.now();
    logger.info({ run_id: run.id, target_key_id: run.target_key_id, resume: run.cursor }, 're-encryption started');
    for (let i = startAt; i < tables.length; i++) {
      const def = tables[i]!;
      const superseded = await this.#table(run, def, key, i === startAt ? (run.cursor?.last_id ?? null) : null, { stats, errors, usage, started });
      if (superseded) {
        await runs.finish(run.id, 'superseded');
        logger.info({ run_id: run.id }, 're-encryption superseded by a newer activation; stopped');
        return (await runs.get(run.id))!;
      }
    }
    // Rows already rewritten before a resume are counted under the target key by this pass too.
    await runs.finish(run.id, 'done', run.cursor ? undefined : usage);
    logger.info({ run_id: run.id, stats, failed: errors.length }, 're-encryption finished');
    return (await runs.get(run.id))!;
  }

  /**
   * One table, pipelined: while a batch is decrypted and re-encrypted (CPU), the database writes
   * the previous batch and reads the next one. Writes (each with its checkpoint) stay in order.
   * Returns true when the run was superseded.
   */
  async #table(
    run: Run,
    def: EntityDefinition,
    key: DataKey,
    after: string | null,
    progress: { stats: Record<string, TableStats>; errors: RunError[]; usage: Usage; started: number },
  ): Promise<boolean> {
    const { runs, logger } = this.deps;
    // Plain encrypted columns need only those columns; per-row field lists need the whole row.
    const columns = staticFields(def) ? ['id', ...encryptedColumns(def)].map(quoteIdent).join(', ') : '*';
    const select = (lastId: string | null) =>
      this.deps.db.query(`SELECT ${columns} FROM ${quoteIdent(def.name)} WHERE ($1::uuid IS NULL OR id > $1) ORDER BY id LIMIT $2`, [lastId, this.deps.batchSize]).then((r) => r.rows);
    // Promises awaited later (prefetch, in-flight write) get a no-op handler now, so a failure
    // while the other one is awaited is not an unhandled rejection; awaiting still throws it.
    let next = quiet(select(after));
    let writing: Promise<boolean> = Promise.resolve(false);
    for (;;) {
      const rows = await next;
      if (rows.length === 0) break;
      const cursor = { table: def.name, last_id: String(rows[rows.length - 1]!.id) };
      next = quiet(select(cursor.last_id));
      const computeStarted = performance.now();
      const batch = await this.#compute(def, rows, key, progress.usage);
      const computeMs = performance.now() - computeStarted;
      if (await writing) return true;
      const writeStarted = performance.now();
      writing = quiet(this.#write(def, batch, run.target_key_id, progress.stats[def.name]!, progress.errors, async (tx) => runs.checkpoint(tx, run.id, cursor, progress.stats, progress.errors)).then(async (superseded) => {
        if (superseded) return true;
        logger.info(
          {
            run_id: run.id,
            table: def.name,
            ...progress.stats[def.name],
            rows_per_s: Math.round(this.#scanned(progress.stats) / ((Date.now() - progress.started) / 1000)),
            batch_compute_ms: Math.round(computeMs),
            batch_write_ms: Math.round(performance.now() - writeStarted),
          },
          're-encryption progress',
        );
        await this.deps.onProgress?.({ stats: progress.stats, cursor });
        return false;
      }));
    }
    return writing;
  }

  #scanned(stats: Record<string, TableStats>): number {
    return Object.values(stats).reduce((n, s) => n + s.scanned, 0);
  }

  async #count(def: EntityDefinition): Promise<number> {
    return (await this.deps.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${quoteIdent(def.name)}`)).rows[0]?.n ?? 0;
  }

  /** Decrypts and re-encrypts one batch in memory; the result is written by `#write`. */
  async #compute(def: EntityDefinition, rows: Row[], key: DataKey, usage: Usage): Promise<Batch> {
    const updates = new Map<string, { ids: string[]; olds: string[]; news: string[] }>();
    const pending = new Set<string>();
    // Counted into the run's stats only when the batch commits, so a resumed run counts it once.
    const stats = { scanned: 0, skipped: 0, failed: 0 };
    const errors: RunError[] = [];
    const legacy: LegacyUpgrade[] = [];
    const prefix = `$ke$2$-${key.id}-`;
    const nonces = new NonceSource(rows.length);
    // Tables whose encrypted fields are plain columns are read straight from the row.
    const fields = staticFields(def);
    for (const row of rows) {
      stats.scanned++;
      const entity: Record<string, unknown> = fields ? row : fromRow(def, row);
      const id = String(row.id);
      let changed: Record<string, unknown> = entity;
      let failed = false;
      for (const path of fields ?? encryptedPaths(def, entity as Entity)) {
        const value = fields ? entity[path] : getPath(entity, path);
        if (typeof value !== 'string') continue;
        if (value.startsWith(prefix)) {
          tally(usage, key.id, def.name);
          continue;
        }
        const context = { table: def.name, field: path, id };
        try {
          const read = await this.#plaintext(value, context);
          changed = withPath(changed, path, encryptField(read.plaintext, key, context, nonces));
          if (read.format !== 'keygate-v2') legacy.push({ id, field: path, format: read.format });
          tally(usage, key.id, def.name);
        } catch (err) {
          failed = true;
          tally(usage, fieldKeyId(value) ?? 'plaintext', def.name);
          stats.failed++;
          errors.push({ table: def.name, id, field: path, key_id: fieldKeyId(value) ?? null, reason: (err as Error).message });
        }
      }
      if (changed === entity) {
        if (!failed) stats.skipped++;
        continue;
      }
      for (const column of encryptedColumns(def)) {
        if (changed[column] === entity[column]) continue;
        const json = def.jsonColumns.includes(column);
        const entry = updates.get(column) ?? { ids: [], olds: [], news: [] };
        entry.ids.push(id);
        entry.olds.push(json ? JSON.stringify(row[column]) : String(row[column]));
        entry.news.push(json ? JSON.stringify(changed[column]) : String(changed[column]));
        updates.set(column, entry);
        pending.add(id);
      }
    }
    return { updates, pending, stats, errors, legacy };
  }

  /** Decrypts with the keys held here; only a missing key goes through the protector (asks peers). */
  async #plaintext(value: string, context: { table: string; field: string; id: string }): Promise<Pick<DecryptedField, 'plaintext' | 'format'>> {
    try {
      return this.deps.protector.decryptHeld(value, context);
    } catch (err) {
      if (err instanceof KeyNotAvailableError) return { plaintext: await this.deps.protector.reveal(value, context), format: 'keygate-v2' };
      throw err;
    }
  }

  /**
   * Writes a batch with compare-and-swap (a row changed meanwhile is left as the newer write made
   * it) and the checkpoint, in one transaction. Returns true, writing nothing, when another key
   * has been activated since the run started.
   */
  async #write(def: EntityDefinition, batch: Batch, target: string, stats: TableStats, errors: RunError[], checkpoint: (tx: Queryable) => Promise<void>): Promise<boolean> {
    const written = new Set<string>();
    const superseded = await this.deps.db.transaction(async (tx) => {
      // A batch and its checkpoint commit together; if the server crashed before flushing them,
      // both are lost and the batch is simply redone. So no need to wait for the WAL flush.
      await tx.query('SET LOCAL synchronous_commit = off');
      const active = await this.deps.store.activeId(tx);
      if (active !== target) return true;
      for (const [column, { ids, olds, news }] of batch.updates) {
        const cast = def.jsonColumns.includes(column) ? '::jsonb' : '';
        // One JSON parameter: serialised natively, far cheaper than three pg text arrays.
        const values = JSON.stringify(ids.map((id, i) => ({ id, old: olds[i], new: news[i] })));
        const res = await tx.query<{ id: string }>(
          `UPDATE ${quoteIdent(def.name)} AS t SET ${quoteIdent(column)} = v.new${cast}
           FROM json_to_recordset($1::json) AS v(id uuid, old text, new text)
           WHERE t.id = v.id AND t.${quoteIdent(column)} = v.old${cast} RETURNING t.id`,
          [values],
        );
        for (const r of res.rows) written.add(r.id);
      }
      stats.scanned += batch.stats.scanned;
      stats.skipped += batch.stats.skipped;
      stats.failed += batch.stats.failed;
      stats.rewritten += written.size;
      stats.conflicts += batch.pending.size - written.size;
      errors.push(...batch.errors.slice(0, Math.max(0, MAX_ERRORS - errors.length)));
      await checkpoint(tx);
      return false;
    });
    // Logged once committed: only rows that really were upgraded.
    if (!superseded) logUpgrades(this.deps.logger, def.name, target, batch.legacy.filter((u) => written.has(u.id)));
    return superseded;
  }

}

interface Batch {
  readonly updates: Map<string, { ids: string[]; olds: string[]; news: string[] }>;
  readonly pending: Set<string>;
  readonly stats: { scanned: number; skipped: number; failed: number };
  readonly errors: RunError[];
  /** Values read in a legacy format (accepted by policy) and rewritten as `$ke$2$`. */
  readonly legacy: LegacyUpgrade[];
}


function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/** The encrypted fields when they are all plain columns (no per-row field list, no JSON paths). */
function staticFields(def: EntityDefinition): string[] | undefined {
  const fields = def.encryptedFields;
  return Array.isArray(fields) && fields.every((f: string) => !f.includes('.')) ? (fields as string[]) : undefined;
}

function tally(usage: Usage, keyId: string, table: string): void {
  const perTable = (usage[keyId] ??= {});
  perTable[table] = (perTable[table] ?? 0) + 1;
}
