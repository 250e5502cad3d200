import { Gauge, type Registry } from 'prom-client';
import type { Queue } from 'bullmq';
import type { ReencryptRuns, RunState } from './runs';
import { describeRun } from './view';

const STATES: readonly RunState[] = ['queued', 'running', 'done', 'superseded', 'failed'];
const JOB_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;
/** A scrape must answer even while Redis does not. */
const QUEUE_TIMEOUT_MS = 1_000;

/**
 * The keyring-broker's jobs in Prometheus: the latest re-encryption run (state, rows scanned,
 * remaining, failed, rows/s) read from its table at scrape time, and the depth of each BullMQ
 * queue it works on.
 */
export function registerJobMetrics(registry: Registry, runs: ReencryptRuns, queues: readonly Queue[]): void {
  const registers = [registry];
  let latest: Promise<ReturnType<typeof describeRun> | undefined> | undefined;
  // One read per scrape, shared by the gauges below.
  const view = () => (latest ??= runs.latest().then((run) => (run ? describeRun(run, null) : undefined)).finally(() => setTimeout(() => (latest = undefined), 100).unref()));
  const fromRun = (name: string, help: string, pick: (run: ReturnType<typeof describeRun>) => number | null) =>
    new Gauge({
      name,
      help,
      registers,
      async collect() {
        const run = await view();
        const value = run ? pick(run) : null;
        if (value === null) this.reset();
        else this.set(value);
      },
    });
  new Gauge({
    name: 'keygate_keyring_reencrypt_run_state',
    help: 'State of the latest re-encryption run (1 for its state, 0 for the others).',
    labelNames: ['state'],
    registers,
    async collect() {
      const run = await view();
      for (const state of STATES) this.set({ state }, run?.state === state ? 1 : 0);
    },
  });
  fromRun('keygate_keyring_reencrypt_rows_scanned', 'Rows the latest re-encryption run has scanned.', (r) => r.scanned);
  fromRun('keygate_keyring_reencrypt_rows_remaining', 'Rows the latest re-encryption run has yet to scan.', (r) => Math.max(0, r.total - r.scanned));
  fromRun('keygate_keyring_reencrypt_rows_failed', 'Values the latest re-encryption run could not rewrite (failed authentication, refused formats).', (r) => r.errors_total);
  fromRun('keygate_keyring_reencrypt_rows_per_second', 'Rows scanned per second by the latest re-encryption run.', (r) => r.rows_per_second);
  fromRun('keygate_keyring_reencrypt_progress_ratio', 'Progress of the latest re-encryption run, 0 to 1.', (r) => r.percent / 100);
  new Gauge({
    name: 'keygate_queue_jobs',
    help: 'Jobs in each BullMQ queue this node works on, by state.',
    labelNames: ['queue', 'state'],
    registers,
    async collect() {
      for (const queue of queues) {
        const counts = await Promise.race([queue.getJobCounts(...JOB_STATES), new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), QUEUE_TIMEOUT_MS).unref())]).catch(() => undefined);
        if (!counts) continue;
        for (const state of JOB_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
      }
    },
  });
}
