import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Kong's prometheus plugin latency buckets (ms), in seconds. */
const LATENCY_BUCKETS = [1, 2, 5, 7, 10, 15, 20, 30, 50, 75, 100, 200, 500, 750, 1000, 2000, 5000, 10000, 30000, 60000].map((ms) => ms / 1000);

type RequestCounter = ReturnType<Counter<'code' | 'source'>['labels']>;

/**
 * A worker's metrics (Prometheus, prom-client, a registry of its own). The node aggregates
 * every worker's into `/metrics` on its status listener.
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  readonly #requests: Counter<'code' | 'source'>;
  readonly #byCode = new Map<number, RequestCounter>();
  readonly upstreamLatency: Histogram;
  readonly proxyLatency: Histogram;
  readonly stateVersion: Gauge;

  constructor() {
    const registers = [this.registry];
    this.#requests = new Counter({ name: 'keygate_proxy_requests_total', help: 'Requests answered, by status code and by who answered (upstream or keygate).', labelNames: ['code', 'source'], registers });
    this.upstreamLatency = new Histogram({ name: 'keygate_proxy_upstream_latency_seconds', help: 'From sending the request upstream to its response headers (Kong: upstream latency).', buckets: LATENCY_BUCKETS, registers });
    this.proxyLatency = new Histogram({ name: 'keygate_proxy_latency_seconds', help: 'Time spent in the proxy before the request went upstream (routing, plugins).', buckets: LATENCY_BUCKETS, registers });
    this.stateVersion = new Gauge({ name: 'keygate_proxy_worker_state_version', help: 'State version applied by the slowest worker.', registers, aggregator: 'min' });
  }

  /** `source`: `upstream` for proxied responses, `keygate` for the proxy's own (401, 404, 5xx). */
  request(code: number, upstream: boolean): void {
    const key = upstream ? code : -code;
    let counter = this.#byCode.get(key);
    if (!counter) {
      counter = this.#requests.labels({ code: String(code), source: upstream ? 'upstream' : 'keygate' });
      this.#byCode.set(key, counter);
    }
    counter.inc();
  }
}
