import { randomUUID } from 'node:crypto';
import type { Database, Queryable } from '@keygate/db';
import { QUEUES, requestJob } from '@keygate/queue';

export interface TableStats {
  total: number;
  scanned: number;
  rewritten: number;
  /** Already under the target key. */
  skipped: number;
  /** Changed by a concurrent write between read and rewrite (that write used the active key). */
  conflicts: number;
  failed: number;
}

export interface RunError {
  readonly table: string;
  readonly id: string;
  readonly field: string;
  readonly key_id: string | null;
  readonly reason: string;
}

export interface Cursor {
  readonly table: string;
  readonly last_id: string | null;
}

export type RunState = 'queued' | 'running' | 'done' | 'superseded' | 'failed';

export interface Run {
  readonly id: string;
  readonly target_key_id: string;
  readonly reason: string;
  readonly state: RunState;
  readonly cursor: Cursor | null;
  readonly stats: Record<string, TableStats>;
  readonly errors: RunError[];
  readonly key_usage: Record<string, Record<string, number>> | null;
  readonly created_at: Date;
  readonly started_at: Date | null;
  readonly updated_at: Date;
  readonly finished_at: Date | null;
}

/** Errors kept per run (their total is in the stats). */
export const MAX_ERRORS = 100;

/** `keyring_reencrypt_runs`: each re-encryption with its checkpoint and progress. */
export class ReencryptRuns {
  constructor(private readonly db: Database) {}

  /**
   * Runs queued or running that nobody touched for `staleSeconds`, and whose job request is not
   * still waiting in the outbox (the relay will enqueue those).
   */
  async stale(staleSeconds: number): Promise<Array<{ id: string; target_key_id: string; reason: 'activation' | 'manual' | 'rotation' }>> {
    const res = await this.db.query<{ id: string; target_key_id: string; reason: 'activation' | 'manual' | 'rotation' }>(
      `SELECT r.id, r.target_key_id, r.reason FROM keyring_reencrypt_runs r
        WHERE r.state IN ('queued', 'running') AND r.updated_at < now() - make_interval(secs => $1)
          AND NOT EXISTS (SELECT 1 FROM job_outbox o WHERE o.enqueued_at IS NULL AND o.payload->>'run_id' = r.id::text)`,
      [staleSeconds],
    );
    return res.rows;
  }

  async create(tx: Queryable, id: string, targetKeyId: string, reason: string): Promise<void> {
    await tx.query('INSERT INTO keyring_reencrypt_runs (id, target_key_id, reason) VALUES ($1, $2, $3)', [id, targetKeyId, reason]);
  }

  async get(id: string): Promise<Run | undefined> {
    return (await this.db.query<Run & Record<string, unknown>>('SELECT * FROM keyring_reencrypt_runs WHERE id = $1', [id])).rows[0];
  }

  async latest(): Promise<Run | undefined> {
    return (await this.db.query<Run & Record<string, unknown>>('SELECT * FROM keyring_reencrypt_runs ORDER BY created_at DESC LIMIT 1')).rows[0];
  }

  /** The key usage counted by the last finished run (what `GET /keyring` shows). */
  async lastUsage(): Promise<{ counted_at: Date; usage: Record<string, Record<string, number>> } | undefined> {
    const row = (
      await this.db.query<{ finished_at: Date; key_usage: Record<string, Record<string, number>> }>(
        "SELECT finished_at, key_usage FROM keyring_reencrypt_runs WHERE state = 'done' AND key_usage IS NOT NULL ORDER BY finished_at DESC LIMIT 1",
      )
    ).rows[0];
    return row ? { counted_at: row.finished_at, usage: row.key_usage } : undefined;
  }

  /** Marks the run started, with every table's row count known up front (so progress has a total). */
  async markRunning(id: string, stats: Record<string, TableStats>): Promise<void> {
    await this.db.query("UPDATE keyring_reencrypt_runs SET state = 'running', stats = $2, started_at = COALESCE(started_at, now()), updated_at = now() WHERE id = $1", [id, JSON.stringify(stats)]);
  }

  async checkpoint(tx: Queryable, id: string, cursor: Cursor, stats: Record<string, TableStats>, errors: RunError[]): Promise<void> {
    await tx.query('UPDATE keyring_reencrypt_runs SET cursor = $2, stats = $3, errors = $4, updated_at = now() WHERE id = $1', [
      id,
      JSON.stringify(cursor),
      JSON.stringify(stats),
      JSON.stringify(errors.slice(0, MAX_ERRORS)),
    ]);
  }

  async finish(id: string, state: Exclude<RunState, 'queued' | 'running'>, keyUsage?: Record<string, Record<string, number>>): Promise<void> {
    await this.db.query('UPDATE keyring_reencrypt_runs SET state = $2, key_usage = $3, finished_at = now(), updated_at = now() WHERE id = $1', [
      id,
      state,
      keyUsage ? JSON.stringify(keyUsage) : null,
    ]);
  }
}

/**
 * A re-encryption run and its job request (outbox), in the caller's transaction: if the change
 * that needs it commits, the job exists, even while Redis is down.
 */
export async function requestReencryption(tx: Queryable, runs: ReencryptRuns, targetKeyId: string, reason: 'activation' | 'manual' | 'rotation'): Promise<string> {
  const runId = randomUUID();
  // Sent together: one round trip.
  await Promise.all([runs.create(tx, runId, targetKeyId, reason), requestJob(tx, QUEUES.keyringReencrypt, 'reencrypt', { run_id: runId, target_key_id: targetKeyId, reason }, runId)]);
  return runId;
}
