import type { Run, TableStats } from './runs';

export interface RunView {
  readonly id: string;
  readonly state: Run['state'];
  readonly target_key_id: string;
  readonly reason: string;
  /** The job reached Redis (false while Redis is down or no keyring-broker relays it). */
  readonly enqueued: boolean;
  readonly created_at: number;
  readonly started_at: number | null;
  readonly finished_at: number | null;
  readonly tables: Record<string, TableStats & { remaining: number }>;
  readonly scanned: number;
  readonly total: number;
  readonly percent: number;
  readonly rows_per_second: number | null;
  readonly errors: Run['errors'];
  readonly errors_total: number;
}

const seconds = (date: Date | null) => (date ? Math.floor(date.getTime() / 1000) : null);

/** A run as `GET /keyring/reencrypt` and the CLI show it: rows scanned, rewritten, remaining, rate. */
export function describeRun(run: Run, enqueuedAt: Date | null): RunView {
  const tables = Object.fromEntries(Object.entries(run.stats).map(([name, s]) => [name, { ...s, remaining: Math.max(0, s.total - s.scanned) }]));
  const scanned = Object.values(run.stats).reduce((n, s) => n + s.scanned, 0);
  const total = Object.values(run.stats).reduce((n, s) => n + s.total, 0);
  const end = run.finished_at ?? run.updated_at;
  const elapsed = run.started_at ? (end.getTime() - run.started_at.getTime()) / 1000 : 0;
  const done = run.state === 'done';
  return {
    id: run.id,
    state: run.state,
    target_key_id: run.target_key_id,
    reason: run.reason,
    enqueued: enqueuedAt !== null || run.state !== 'queued',
    created_at: seconds(run.created_at) as number,
    started_at: seconds(run.started_at),
    finished_at: seconds(run.finished_at),
    tables,
    scanned,
    total,
    percent: done ? 100 : total === 0 ? 0 : Math.min(99, Math.floor((scanned / total) * 100)),
    rows_per_second: elapsed > 0 ? Math.round(scanned / elapsed) : null,
    errors: run.errors,
    errors_total: Object.values(run.stats).reduce((n, s) => n + s.failed, 0),
  };
}
