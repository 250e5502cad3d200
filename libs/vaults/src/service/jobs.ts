import { createHash } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import type { Logger } from '@keygate/logging';
import { QUEUES, RedisHealth, redisConnection, type QueueSettings, type SecretRefreshJobData } from '@keygate/queue';
import type { SecretResolver } from '../resolver';

export interface SecretRefreshJobsOptions {
  readonly resolver: SecretResolver;
  readonly queue: QueueSettings;
  readonly logger: Logger;
  /** Shortest refresh period (BullMQ `every`). @defaultValue 1000 */
  readonly minEveryMs?: number;
}

/** The fixed scheduler id of a reference: every replica upserts the same one. */
export function schedulerId(reference: string): string {
  return `secret-refresh:${createHash('sha256').update(reference).digest('hex').slice(0, 32)}`;
}

/**
 * Rotation on the vault-resolver as BullMQ repeatable jobs: each reference with a TTL gets a
 * job scheduler with a fixed id (`every` = its TTL), so however many vault-resolver replicas run,
 * each reference is re-read once per TTL, by whichever replica takes the job. A refresh that
 * finds a new value fires the resolver's change listeners (the app publishes them on the bus).
 */
export class SecretRefreshJobs {
  readonly #scheduled = new Map<string, number>();
  #queue: Queue | undefined;
  #refreshed = 0;
  #failed = 0;

  constructor(private readonly options: SecretRefreshJobsOptions) {
    this.redis = new RedisHealth({ url: options.queue.url, logger: options.logger });
  }

  /** Redis as these jobs see it (the vault-resolver shows it in `GET /status`; it serves without it). */
  readonly redis: RedisHealth;

  start(): void {
    const { queue: settings, resolver } = this.options;
    const queue: Queue = new Queue(QUEUES.secretRefresh, { connection: redisConnection(settings, false), prefix: settings.prefix });
    this.#queue = this.redis.watch(queue);
    const worker: Worker<SecretRefreshJobData> = new Worker<SecretRefreshJobData>(
      QUEUES.secretRefresh,
      async (job: Job<SecretRefreshJobData>) => {
        const outcome = await resolver.refresh(job.data.reference);
        if (outcome.error) {
          this.#failed++;
          throw outcome.error;
        }
        this.#refreshed++;
        return { changed: outcome.changed };
      },
      { connection: redisConnection(settings, true), prefix: settings.prefix, concurrency: 8 },
    );
    this.redis.watch(worker);
  }

  /** Makes sure the reference has its refresh schedule (idempotent; cheap after the first call). */
  async schedule(reference: string, ttlMs: number): Promise<void> {
    const every = Math.max(Math.round(ttlMs), this.options.minEveryMs ?? 1000);
    if (!this.#queue || this.#scheduled.get(reference) === every) return;
    this.#scheduled.set(reference, every);
    try {
      // The value was just read: the first refresh is due one period from now, not at once.
      await this.#queue.upsertJobScheduler(
        schedulerId(reference),
        { every, startDate: Date.now() + every },
        { name: 'refresh', data: { reference }, opts: { removeOnComplete: 100, removeOnFail: 100 } },
      );
    } catch (err) {
      this.#scheduled.delete(reference);
      this.options.logger.warn({ reference, err: (err as Error).message }, 'cannot schedule the refresh of a reference (Redis); it is re-read on demand after its TTL');
    }
  }

  /** A reference nobody uses any more (its vault was removed): stop refreshing it. */
  async unschedule(reference: string): Promise<void> {
    this.#scheduled.delete(reference);
    await this.#queue?.removeJobScheduler(schedulerId(reference)).catch(() => undefined);
  }

  isScheduled(reference: string): boolean {
    return this.#scheduled.has(reference);
  }

  status(): { readonly scheduled: number; readonly refreshed: number; readonly failed: number } {
    return { scheduled: this.#scheduled.size, refreshed: this.#refreshed, failed: this.#failed };
  }

  async stop(): Promise<void> {
    await this.redis.close();
  }
}
