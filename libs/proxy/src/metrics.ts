import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Rejection } from './plugins/types';
import type { RouteData, ServiceData } from './state/types';

/** Kong's prometheus plugin latency buckets, in ms (its metrics are in ms too). */
const LATENCY_BUCKETS_MS = [1, 2, 5, 7, 10, 15, 20, 30, 50, 75, 100, 200, 500, 750, 1000, 2000, 5000, 10000, 30000, 60000];

/** Route and service as Kong's prometheus plugin labels them: the name, else the id; empty without one. */
export interface RequestLabels {
  readonly service: string;
  readonly route: string;
}

export const NO_ROUTE: RequestLabels = Object.freeze({ service: '', route: '' });

type Series = { inc(): void };

/**
 * A worker's metrics (Prometheus, prom-client, a registry of its own), under Kong's prometheus
 * plugin names where Kong has them. The node aggregates every worker's into `/metrics` on its
 * status listener.
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  readonly #requests: Counter<'service' | 'route' | 'code' | 'source'>;
  readonly #authFailures: Counter<'plugin' | 'reason'>;
  readonly #series = new Map<string, Series>();
  readonly #upstreamLatency: Histogram<'service' | 'route'>;
  readonly #kongLatency: Histogram<'service' | 'route'>;
  readonly #requestLatency: Histogram<'service' | 'route'>;
  readonly stateVersion: Gauge;
  readonly #failovers: Counter<'upstream'>;

  constructor() {
    const registers = [this.registry];
    const labelNames = ['service', 'route'] as const;
    const buckets = LATENCY_BUCKETS_MS;
    this.#requests = new Counter({ name: 'kong_http_requests_total', help: 'HTTP status codes per service/route in Kong (source: upstream, or kong for the proxy\'s own answers).', labelNames: ['service', 'route', 'code', 'source'], registers });
    this.#authFailures = new Counter({ name: 'keygate_auth_failures_total', help: 'Requests an authentication plugin refused, by plugin and reason.', labelNames: ['plugin', 'reason'], registers });
    this.#upstreamLatency = new Histogram({ name: 'kong_upstream_latency_ms', help: 'Latency added by upstream response for each service/route in Kong (sending upstream to its response headers).', labelNames, buckets, registers });
    this.#kongLatency = new Histogram({ name: 'kong_kong_latency_ms', help: 'Latency added by Kong (routing, plugins) before the request went upstream.', labelNames, buckets, registers });
    this.#requestLatency = new Histogram({ name: 'kong_request_latency_ms', help: 'Total latency incurred during requests for each service/route in Kong (to response headers).', labelNames, buckets, registers });
    this.#failovers = new Counter({ name: 'keygate_upstream_failovers_total', help: 'Attempts an upstream request made on another target after one failed, by upstream.', labelNames: ['upstream'], registers });
    this.stateVersion = new Gauge({ name: 'keygate_proxy_worker_state_version', help: 'State version applied by the slowest worker.', registers, aggregator: 'min' });
  }

  /** `upstream`: a proxied response; otherwise the proxy's own (401, 404, 5xx), Kong's `source="kong"`. */
  request(labels: RequestLabels, code: number, upstream: boolean): void {
    const source = upstream ? 'upstream' : 'kong';
    this.#inc(`r|${labels.service}|${labels.route}|${code}|${source}`, () => this.#requests.labels({ ...labels, code: String(code), source }));
  }

  latency(labels: RequestLabels, kongMs: number, upstreamMs: number): void {
    this.#kongLatency.observe(labels, kongMs);
    this.#upstreamLatency.observe(labels, upstreamMs);
    this.#requestLatency.observe(labels, kongMs + upstreamMs);
  }

  /** The proxy's own answer, end to end (no upstream part). */
  ownLatency(labels: RequestLabels, ms: number): void {
    this.#kongLatency.observe(labels, ms);
    this.#requestLatency.observe(labels, ms);
  }

  failover(upstream: string): void {
    this.#inc(`f|${upstream}`, () => this.#failovers.labels({ upstream }));
  }

  authFailure(plugin: string, rejection: Rejection): void {
    const reason = failureReason(rejection);
    this.#inc(`a|${plugin}|${reason}`, () => this.#authFailures.labels({ plugin, reason }));
  }

  #inc(key: string, make: () => Series): void {
    let series = this.#series.get(key);
    if (!series) {
      series = make();
      this.#series.set(key, series);
    }
    series.inc();
  }
}

/** A small fixed set of reasons (never the credential, never a free text). */
export function failureReason(rejection: Rejection): string {
  if (rejection.reason) return rejection.reason;
  if (rejection.status === 503) return 'key_unavailable';
  if (rejection.status >= 500) return 'plugin_error';
  switch (rejection.message) {
    case 'No API key found in request':
      return 'no_credentials';
    case 'Duplicate API key found':
      return 'duplicate_credentials';
    case 'Cannot process request body':
      return 'unreadable_body';
    default:
      return 'invalid_credentials';
  }
}

/** Kong's prometheus labels: a route's or service's name, else its id. */
export function requestLabels(route: RouteData, service: ServiceData | undefined): RequestLabels {
  return { service: service ? (service.name ?? service.id) : '', route: route.name ?? route.id };
}
