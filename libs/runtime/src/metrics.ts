import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Database } from '@keygate/db';
import type { NodeInfo } from './node-info';

/** Prometheus text format's content type (prom-client's `Registry.contentType`). */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * A node's metrics registry: the process (prom-client's defaults: CPU, memory, event loop lag,
 * handles, under their usual `process_*` / `nodejs_*` names) and who this node is. Subsystems
 * register theirs here; the status listener serves it as `/metrics`.
 */
export function createNodeRegistry(node: NodeInfo): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const info = new Gauge({ name: 'keygate_node_info', help: 'This node: app, version, node id and host (always 1).', labelNames: ['app', 'version', 'node_id', 'hostname'], registers: [registry] });
  info.set({ app: node.app, version: node.version, node_id: node.nodeId, hostname: node.hostname }, 1);
  new Gauge({ name: 'keygate_node_start_time_seconds', help: 'When this node started, seconds since the epoch.', registers: [registry] }).set(node.startedAt.getTime() / 1000);
  return registry;
}

/** Pool use of each database handle (`rw`, and `ro` when a read-only pool exists), and RDS IAM tokens. */
export function registerDatabaseMetrics(registry: Registry, pools: readonly Database[], iamTokensSigned: () => number): void {
  const registers = [registry];
  new Gauge({
    name: 'keygate_database_pool_connections',
    help: 'Connections of the node\'s PostgreSQL pool, by pool and state (idle or in use).',
    labelNames: ['pool', 'state'],
    registers,
    collect() {
      for (const db of pools) {
        const s = db.stats();
        this.set({ pool: s.role, state: 'idle' }, s.idle);
        this.set({ pool: s.role, state: 'in_use' }, s.total - s.idle);
      }
    },
  });
  new Gauge({
    name: 'keygate_database_pool_waiting',
    help: 'Queries waiting for a slot (pg_max_concurrent_queries), by pool.',
    labelNames: ['pool'],
    registers,
    collect() {
      for (const db of pools) this.set({ pool: db.stats().role }, db.stats().waiting);
    },
  });
  new Counter({
    name: 'keygate_database_queries_total',
    help: "Queries of the node's database pools (keyring, status and heartbeats included), by pool.",
    labelNames: ['pool'],
    registers,
    collect() {
      this.reset();
      for (const db of pools) this.inc({ pool: db.stats().role }, db.stats().queries);
    },
  });
  new Counter({
    name: 'keygate_database_iam_token_refreshes_total',
    help: 'RDS IAM authentication tokens signed (pg_iam_auth), each a refresh of the connection password.',
    registers,
    collect() {
      this.reset();
      this.inc(iamTokensSigned());
    },
  });
}
