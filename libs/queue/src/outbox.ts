import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import { channel, type Bus } from '@keygate/bus';
import type { Database, Queryable } from '@keygate/db';
import type { Logger } from '@keygate/logging';
import type { JobPayloads, QueueName } from './names';

const OUTBOX_CHANNEL = channel<{ id: string }>('keygate_outbox', (v) => (typeof (v as { id?: unknown })?.id === 'string' ? (v as { id: string }) : undefined));

/**
 * Requests a job in the caller's transaction: it exists if and only if the change that needs it
 * commits. The relay moves it to Redis (now, or when Redis is back). Returns the job id.
 */
export async function requestJob<Q extends QueueName>(tx: Queryable, queue: Q, name: string, payload: JobPayloads[Q], id: string = randomUUID()): Promise<string> {
  // One round trip: the request and its notification (delivered when `tx` commits).
  await tx.query('WITH job AS (INSERT INTO job_outbox (id, queue, name, payload) VALUES ($1, $2, $3, $4) RETURNING id) SELECT pg_notify($5, $6) FROM job', [
    id,
    queue,
    name,
    JSON.stringify(payload),
    OUTBOX_CHANNEL.name,
    OUTBOX_CHANNEL.encode({ id }),
  ]);
  return id;
}

/** When the relay moved a requested job to Redis (null: not yet, or no such request). */
export async function outboxEnqueuedAt(q: Queryable, id: string): Promise<Date | null> {
  const res = await q.query<{ enqueued_at: Date | null }>('SELECT enqueued_at FROM job_outbox WHERE id = $1', [id]);
  return res.rows[0]?.enqueued_at ?? null;
}

export interface OutboxRelayOptions {
  readonly db: Database;
  readonly bus: Bus;
  readonly queues: ReadonlyMap<string, Queue>;
  readonly logger: Logger;
  /** How often pending jobs are retried (Redis was down, a notification was missed). */
  readonly sweepMs?: number;
}

/**
 * Moves outbox rows to their BullMQ queue, with the outbox id as the job id (so a job enqueued
 * twice, by two relays or after a crash between add and mark, exists once). Rows are claimed with
 * `FOR UPDATE SKIP LOCKED`, so relays on several nodes do not collide.
 */
/** Mean delay between hearing of a new job and claiming it. */
const NOTIFY_SPREAD_MS = 100;

export class OutboxRelay {
  #timer: NodeJS.Timeout | undefined;
  #pending: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();

  constructor(private readonly options: OutboxRelayOptions) {}

  start(): void {
    // Every relay hears the same NOTIFY: a short random delay spreads them out, so a job request
    // (the re-encryption an activation asks for) does not have N relays contend for one row at
    // the moment every member is applying the activation itself.
    this.options.bus.subscribe(OUTBOX_CHANNEL, () => {
      if (this.#pending) return;
      this.#pending = setTimeout(() => {
        this.#pending = undefined;
        void this.drain();
      }, NOTIFY_SPREAD_MS * (0.5 + Math.random()));
      this.#pending.unref();
    });
    this.options.bus.onResync(() => this.drain());
    this.#timer = setInterval(() => void this.drain(), this.options.sweepMs ?? 2_000);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    clearTimeout(this.#pending);
  }

  /** Serialised: moves every pending row it can claim. */
  drain(): Promise<void> {
    this.#running = this.#running.then(() => this.#drainNow()).catch((err: unknown) => {
      this.options.logger.warn({ err }, 'outbox relay: will retry');
    });
    return this.#running;
  }

  async #drainNow(): Promise<void> {
    const { db, queues, logger } = this.options;
    for (;;) {
      const moved = await db.transaction(async (tx) => {
        const rows = (
          await tx.query<{ id: string; queue: string; name: string; payload: unknown }>(
            `SELECT id, queue, name, payload FROM job_outbox WHERE enqueued_at IS NULL AND queue = ANY($1)
             ORDER BY created_at LIMIT 50 FOR UPDATE SKIP LOCKED`,
            [[...queues.keys()]],
          )
        ).rows;
        for (const row of rows) {
          const queue = queues.get(row.queue)!;
          try {
            await queue.add(row.name, row.payload, { jobId: row.id, removeOnComplete: 1000, removeOnFail: 1000, attempts: 5, backoff: { type: 'exponential', delay: 1000 } });
            await tx.query('UPDATE job_outbox SET enqueued_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = $1', [row.id]);
          } catch (err) {
            await tx.query('UPDATE job_outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1', [row.id, (err as Error).message]);
            logger.warn({ job_id: row.id, queue: row.queue, reason: (err as Error).message }, 'outbox relay: Redis refused the job; it stays in the outbox');
            return -1;
          }
        }
        return rows.length;
      });
      if (moved <= 0) return;
    }
  }
}
