import { randomUUID } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import type { Bus } from '@keygate/bus';
import type { Database } from '@keygate/db';
import { retry } from '@keygate/net';
import { OutboxRelay, QUEUES, queueSettings, RedisHealth, redisConnection, requestJob, type ReencryptJobData } from '@keygate/queue';
import { reencryptionInProgress, ReencryptRunner, RetryLaterError } from './reencrypt/runner';
import { ReencryptRuns } from './reencrypt/runs';
import type { KeyringService } from './service';
import type { KeyringNodeContext } from './start';
import { registerJobMetrics } from './reencrypt/metrics';

const SCHEDULER_ID = 'keyring-rotation';

/**
 * The keyring's background work on a keyring-broker: the outbox relay, the re-encryption worker
 * (one run at a time cluster-wide, resumed after a crash), and the scheduled rotation (a BullMQ
 * job scheduler with a fixed id, so several brokers rotate once per interval, not once each).
 */
export async function startKeyringJobs(ctx: KeyringNodeContext, keyring: KeyringService, db: Database, bus: Bus): Promise<void> {
  if (!keyring.settings.enabled || keyring.settings.strategy !== 'cluster') return;
  const { config } = ctx;
  const logger = ctx.logger.child({ component: 'keyring-jobs' });
  const settings = queueSettings(config);
  const queueOptions = { connection: redisConnection(settings, false), prefix: settings.prefix };
  const workerOptions = { connection: redisConnection(settings, true), prefix: settings.prefix, concurrency: 1, lockDuration: 15_000, stalledInterval: 5_000 };
  // Re-encryption and rotation need Redis: without it the broker says so once, shows it in
  // /status and is not ready.
  const redis = new RedisHealth({ url: settings.url, logger });
  ctx.status.addSection('redis', () => redis.status());
  ctx.status.addReadinessCheck?.(async () => redis.notReadyReason());
  const reencrypt = redis.watch(new Queue(QUEUES.keyringReencrypt, queueOptions));
  const rotate = redis.watch(new Queue(QUEUES.keyringRotate, queueOptions));

  const relay = new OutboxRelay({ db, bus, queues: new Map([[QUEUES.keyringReencrypt, reencrypt]]), logger });
  const runner = new ReencryptRunner({
    db,
    definitions: keyring.definitions,
    keyring: keyring.keyring,
    protector: keyring.protector,
    store: keyring.store,
    runs: keyring.runs,
    logger,
    batchSize: config.keyring_reencrypt_batch_size,
  });

  const reencryptWorker = redis.watch(new Worker<ReencryptJobData>(
    QUEUES.keyringReencrypt,
    async (job: Job<ReencryptJobData>) => {
      const audit = (operation: string, details: Record<string, string | number>) => keyring.audit.record({ subject: 'keyring', operation, entityKey: job.data.run_id, details });
      await audit('reencrypt-start', { target_key_id: job.data.target_key_id, reason: job.data.reason });
      const run = await runner.run(job.data.run_id);
      await audit('reencrypt-finish', { target_key_id: job.data.target_key_id, state: run.state, errors: run.errors.length });
      if (run.state === 'done' && config.keyring_remove_old_keys_after !== undefined) {
        await keyring.removeRetiredKeys(config.keyring_remove_old_keys_after);
      }
      return { state: run.state, errors: run.errors.length };
    },
    workerOptions,
  ));
  reencryptWorker.on('failed', (job, err) => {
    const final = job && job.attemptsMade >= (job.opts.attempts ?? 1);
    logger[err instanceof RetryLaterError && !final ? 'info' : 'error']({ run_id: job?.data.run_id, reason: err.message, attempt: job?.attemptsMade }, 're-encryption attempt failed');
    if (job && final) void keyring.runs.finish(job.data.run_id, 'failed');
  });
  redis.watch(new Worker(QUEUES.keyringRotate, async () => ({ activated: await keyring.rotate() }), workerOptions));

  if (ctx.metrics) registerJobMetrics(ctx.metrics, keyring.runs, [reencrypt, rotate]);
  relay.start();
  ctx.defer(async () => {
    relay.stop();
    await redis.close();
  });

  // No run in progress anywhere (a killed worker's lock went with its session): resume at once;
  // otherwise only runs that have not moved for a while.
  await resumeUnfinished(db, logger, { staleSeconds: (await reencryptionInProgress(db)) ? 5 : 0 });
  // Redis keeps nothing on disk in many deployments: a restart loses queued and delayed jobs. A
  // run that has not moved for a while and has no job left in Redis gets a fresh one.
  const sweep = setInterval(() => {
    void resumeUnfinished(db, logger, { staleSeconds: RESUME_STALE_SECONDS, queue: reencrypt }).catch((err: unknown) => logger.warn({ err }, 're-encryption sweep failed; will retry'));
  }, RESUME_SWEEP_MS);
  sweep.unref();
  ctx.defer(() => clearInterval(sweep));
  void scheduleRotation(rotate, config.keyring_rotation_interval, logger);
  await relay.drain();
}

/** How often, and after how long without progress, an unfinished run is checked for a lost job. */
const RESUME_SWEEP_MS = 5_000;
const RESUME_STALE_SECONDS = 15;

/**
 * A run left unfinished (its worker was killed, or Redis lost its job) gets a fresh job, and
 * continues from its checkpoint. At start every stale run does (a killed worker's job stays
 * "active" in Redis until its lock expires); later, only runs with no job left in `queue`.
 * Duplicates are harmless: one run at a time holds the advisory lock, and a finished run is a
 * no-op.
 */
async function resumeUnfinished(db: Database, logger: KeyringNodeContext['logger'], options: { staleSeconds: number; queue?: Queue }): Promise<void> {
  const rows = await new ReencryptRuns(db).stale(options.staleSeconds);
  if (rows.length === 0) return;
  let live = new Set<string>();
  if (options.queue) {
    const jobs = await options.queue.getJobs(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children']);
    live = new Set(jobs.flatMap((job) => (job ? [(job.data as ReencryptJobData).run_id] : [])));
  }
  for (const run of rows) {
    if (live.has(run.id)) continue;
    await db.transaction((tx) => requestJob(tx, QUEUES.keyringReencrypt, 'reencrypt', { run_id: run.id, target_key_id: run.target_key_id, reason: run.reason }, randomUUID()));
    logger.info({ run_id: run.id, lost_job: options.queue !== undefined }, 'resuming an unfinished re-encryption from its checkpoint');
  }
}

/** Keeps the cluster's one rotation schedule in step with `keyring_rotation_interval`; retries while Redis is down. */
async function scheduleRotation(queue: Queue, intervalMs: number | undefined, logger: KeyringNodeContext['logger']): Promise<void> {
  await retry(
    async () => {
      if (intervalMs) await queue.upsertJobScheduler(SCHEDULER_ID, { every: intervalMs }, { name: 'rotate', data: { interval_ms: intervalMs } });
      else await queue.removeJobScheduler(SCHEDULER_ID);
      if (intervalMs) logger.info({ interval_ms: intervalMs }, 'scheduled keyring rotation');
    },
    {
      initialMs: 1000,
      maxMs: 30_000,
      onRetry: (err, { attempt }) => {
        if (attempt === 1) logger.info({ err: (err as Error).message }, 'keyring rotation is scheduled once Redis answers');
      },
    },
  );
}
