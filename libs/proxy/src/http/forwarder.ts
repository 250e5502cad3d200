import type { IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Destination, Hop } from '../balancer/destination';
import type { Logger } from '@keygate/logging';
import type { WorkerMetrics } from '../metrics';
import type { ServiceData } from '../state/types';
import type { RequestContext } from './context';
import { downstreamHeaders } from './forward';
import type { ProxySettings } from './settings';
import { MESSAGES } from './errors';
import { classifyUpstreamError, mayRetry } from './upstream';

/** `kong`: the proxy's own answer (Kong's `kong.response.error`); default: an upstream failure (nginx's error page). */
type Fail = (ctx: RequestContext, status: number, message: string, kind?: 'kong' | 'upstream') => void;

/** Sends requests upstream over the pools and streams the answers back. */
export class Forwarder {
  constructor(
    readonly settings: ProxySettings,
    readonly metrics: WorkerMetrics,
    readonly logger: Logger,
    readonly fail: Fail,
  ) {}

  send(ctx: RequestContext, service: ServiceData, destination: Destination, target: string, headers: string[], body: Buffer | Readable | null): void {
    new Exchange(this, ctx, service, destination, target, headers, body).start();
  }
}

/**
 * One client request's exchange with the upstream (undici's dispatch handler): up to
 * `1 + service.retries` attempts while nothing was answered yet (a request that may have
 * reached the upstream is retried only for idempotent methods, and only with a buffered body),
 * then the response streamed to the client with backpressure. A client that goes away aborts
 * the upstream request.
 */
class Exchange implements Dispatcher.DispatchHandler {
  #attempts = 0;
  #controller: Dispatcher.DispatchController | undefined;
  #responded = false;
  #clientGone = false;
  #sentAt = 0;
  #hop: Hop | undefined;
  #released = true;
  /** Where `host`'s value is in `headers` (replaced per target of an upstream). */
  readonly #hostAt: number;

  constructor(
    private readonly forwarder: Forwarder,
    private readonly ctx: RequestContext,
    private readonly service: ServiceData,
    private readonly destination: Destination,
    private readonly target: string,
    private readonly headers: string[],
    private readonly body: Buffer | Readable | null,
  ) {
    this.#hostAt = headers.indexOf('host') + 1;
  }

  start(): void {
    const { res } = this.ctx;
    res.once('close', () => {
      this.#release();
      if (res.writableFinished) return;
      this.#clientGone = true;
      this.#controller?.abort(new Error('the client closed the connection'));
    });
    this.#sentAt = performance.now();
    this.#dispatch();
  }

  #dispatch(): void {
    this.#attempts++;
    this.#controller = undefined;
    this.#release();
    const hop = this.destination.next();
    if (!hop) {
      this.forwarder.logger.warn({ request_id: this.ctx.requestId, route_id: this.ctx.route.id, upstream: this.destination.upstream, attempts: this.#attempts - 1 }, 'proxy: no healthy target left in the upstream');
      this.forwarder.fail(this.ctx, 503, MESSAGES.noPeer, 'kong');
      return;
    }
    if (this.destination.failovers > 0 && this.destination.upstream !== undefined && this.#attempts > 1) this.forwarder.metrics.failover(this.destination.upstream);
    this.#hop = hop;
    this.#released = false;
    if (hop.host !== undefined && this.#hostAt > 0) this.headers[this.#hostAt] = hop.host;
    hop.pool.dispatch(
      {
        path: this.target,
        method: this.ctx.method as Dispatcher.HttpMethod,
        headers: this.headers,
        body: this.body,
        headersTimeout: this.service.read_timeout,
        bodyTimeout: this.service.read_timeout,
        reset: this.forwarder.settings.keepalive.poolSize === 0,
      },
      this,
    );
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#clientGone) controller.abort(new Error('the client closed the connection'));
  }

  #release(): void {
    if (this.#released || !this.#hop) return;
    this.#released = true;
    this.destination.release(this.#hop);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200) return;
    if (this.#hop) this.destination.result(this.#hop, { kind: 'status', status: statusCode });
    const { settings, metrics } = this.forwarder;
    const now = performance.now();
    const list = downstreamHeaders(headers, settings.headers.via);
    if (settings.headers.via) list.push('via', headers.via ? `${String(headers.via)}, 1.1 keygate/${settings.version}` : `1.1 keygate/${settings.version}`);
    if (settings.headers.upstreamLatency) list.push('x-kong-upstream-latency', String(Math.round(now - this.#sentAt)));
    if (settings.headers.proxyLatency) list.push('x-kong-proxy-latency', String(Math.round(this.#sentAt - this.ctx.startedAt)));
    if (settings.headers.requestId) list.push('x-kong-request-id', this.ctx.requestId);
    try {
      this.ctx.res.writeHead(statusCode, list);
    } catch (err) {
      // A header Node will not send (e.g. a character outside latin1): the upstream's answer is unusable.
      this.#clientGone = true;
      controller.abort(err as Error);
      this.forwarder.logger.warn({ request_id: this.ctx.requestId, route_id: this.ctx.route.id, code: (err as { code?: string }).code }, 'proxy: upstream response headers cannot be forwarded');
      this.forwarder.fail(this.ctx, 502, MESSAGES.badGateway);
      return;
    }
    this.#responded = true;
    metrics.request(this.ctx.labels, statusCode, true);
    metrics.latency(this.ctx.labels, this.#sentAt - this.ctx.startedAt, now - this.#sentAt);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.#responded || this.ctx.res.write(chunk)) return;
    controller.pause();
    this.ctx.res.once('drain', () => controller.resume());
  }

  onResponseEnd(): void {
    this.#release();
    if (this.#responded) this.ctx.res.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    const { ctx } = this;
    this.#release();
    if (this.#clientGone) return;
    if (this.#responded) {
      // Headers are out: all that is left is to cut the client's connection.
      this.forwarder.logger.warn({ request_id: ctx.requestId, route_id: ctx.route.id, code: (err as { code?: string }).code, upstream: this.#upstreamName() }, 'proxy: upstream response broke off');
      ctx.res.destroy();
      return;
    }
    const failure = classifyUpstreamError(err);
    if (this.#hop) this.destination.result(this.#hop, { kind: failure.status === 504 ? 'timeout' : 'tcp_failure' });
    const replayable = this.body === null || Buffer.isBuffer(this.body);
    if (this.#attempts <= this.service.retries && replayable && mayRetry(ctx.method, failure)) {
      this.#dispatch();
      return;
    }
    this.forwarder.logger.warn(
      { request_id: ctx.requestId, route_id: ctx.route.id, service_id: this.service.id, upstream: this.#upstreamName(), code: failure.code, attempts: this.#attempts, status: failure.status },
      'proxy: upstream request failed',
    );
    this.forwarder.fail(ctx, failure.status, failure.message);
  }

  #upstreamName(): string {
    const target = this.#hop?.target;
    return target ? `${this.service.host} (${target.target})` : `${this.service.host}:${this.service.port}`;
  }
}
