import { AggregatorRegistry, Counter, Gauge, Registry } from 'prom-client';
import type { StateLoader } from './sync/loader';
import type { StateSync } from './sync/sync';
import type { WorkerSupervisor } from './workers/supervisor';
import { TABLE_NAMES } from './state/types';

/**
 * The proxy node's own metrics (state, workers), registered in the node's registry and merged
 * with every worker's into one Prometheus text on `/metrics`.
 */
export class NodeMetrics {
  constructor(
    readonly registry: Registry,
    sync: StateSync,
    loader: StateLoader,
    supervisor: WorkerSupervisor,
  ) {
    const registers = [this.registry];
    const seconds = (d: Date | undefined) => (d ? d.getTime() / 1000 : 0);
    new Gauge({ name: 'keygate_proxy_state_version', help: "Version of the node's state (one step per applied change or full load).", registers, collect() { this.set(sync.state.version); } });
    new Gauge({ name: 'keygate_proxy_state_last_sync_timestamp_seconds', help: 'When the state was last read in full from the database.', registers, collect() { this.set(seconds(sync.lastSync)); } });
    new Gauge({ name: 'keygate_proxy_state_last_change_timestamp_seconds', help: 'When the last change event was applied.', registers, collect() { this.set(seconds(sync.lastChange)); } });
    new Gauge({
      name: 'keygate_proxy_entities',
      help: 'Entities held in memory, by table.',
      labelNames: ['table'],
      registers,
      collect() {
        const counts = sync.state.counts();
        for (const table of TABLE_NAMES) this.set({ table }, counts[table]);
      },
    });
    new Gauge({ name: 'keygate_proxy_skipped_rows', help: 'Rows not served because an encrypted field cannot be read (missing key, failed authentication).', registers, collect() { this.set(loader.skipped.size); } });
    new Gauge({
      name: 'keygate_proxy_workers',
      help: 'Worker processes, by whether they serve.',
      labelNames: ['state'],
      registers,
      collect() {
        const workers = supervisor.status();
        this.set({ state: 'ready' }, workers.filter((w) => w.ready).length);
        this.set({ state: 'starting' }, workers.filter((w) => !w.ready).length);
      },
    });
    // Monotonic counts kept elsewhere, exposed as counters.
    const mirror = (name: string, help: string, read: () => number) =>
      new Counter({ name, help, registers, collect() { this.reset(); this.inc(read()); } });
    mirror('keygate_proxy_state_db_queries_total', 'Queries made to keep the state current. Requests make none: this only moves with changes and resyncs.', () => loader.queries);
  }

  /** Node and workers together, in Prometheus text format. */
  async text(workers: unknown[][]): Promise<string> {
    const own = await this.registry.getMetricsAsJSON();
    return AggregatorRegistry.aggregate([own, ...workers]).metrics();
  }
}
