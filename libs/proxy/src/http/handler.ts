import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Logger } from '@keygate/logging';
import { readBody } from '@keygate/net';
import { escapePath, normalizePath, upstreamPath } from '@keygate/router';
import { NO_ROUTE, requestLabels, type RequestLabels, type WorkerMetrics } from '../metrics';
import type { PluginDeps, PluginRuntime } from '../plugins/types';
import type { DataPlane } from '../state/data-plane';
import type { CredentialHasher } from '../state/hasher';
import type { ServiceData } from '../state/types';
import { BodyError, parseBody } from './body';
import { RequestContext } from './context';
import { errorContentType, MESSAGES, negotiate, negotiateUpstreamError, renderError } from './errors';
import { TrustedIps, upstreamHeaders } from './forward';
import type { ProxySettings } from './settings';
import { UpstreamPools } from './upstream';
import type { Pool } from 'undici';
import { Forwarder } from './forwarder';
import { ServiceDestination, UpstreamDestination, type Destination } from '../balancer/destination';
import { hashKey } from '../balancer/hash-key';
import { headerValues, isTls, requestHost, sniOf } from './request';

export interface HandlerOptions {
  readonly plane: DataPlane;
  readonly hasher: CredentialHasher;
  readonly settings: ProxySettings;
  readonly metrics: WorkerMetrics;
  readonly logger: Logger;
}

/** Request bodies up to this size are buffered (so a failed attempt can be retried); larger ones stream. */
export const MAX_BUFFERED_BODY = 8 * 1024 * 1024;

const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443 };

/**
 * The proxy's request path: route, run the plugins that apply, forward upstream. Everything it
 * reads is in memory (`DataPlane`); nothing here can reach the database.
 */
export class ProxyHandler {
  readonly pools: UpstreamPools;
  readonly #trusted: TrustedIps;
  readonly #deps: PluginDeps;
  readonly #forwarder: Forwarder;
  readonly #plain = new WeakMap<Pool, ServiceDestination>();

  constructor(private readonly options: HandlerOptions) {
    this.pools = new UpstreamPools(options.settings.keepalive, (id) => options.plane.state.tables.ca_certificates.get(id)?.cert);
    this.#trusted = new TrustedIps(options.settings.trustedIps);
    this.#deps = { state: options.plane.state, hasher: options.hasher };
    this.#forwarder = new Forwarder(options.settings, options.metrics, options.logger, (ctx, status, message, kind = 'upstream') => this.error(ctx.req, ctx.res, ctx.requestId, ctx.startedAt, status, message, undefined, kind, ctx.labels));
  }

  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    const startedAt = performance.now();
    const requestId = randomUUID();
    try {
      this.#route(req, res, requestId, startedAt);
    } catch (err) {
      this.options.logger.error({ err, request_id: requestId }, 'proxy: request failed');
      if (res.headersSent) res.destroy();
      else this.error(req, res, requestId, startedAt, 500, MESSAGES.unexpected);
    }
  };

  #route(req: IncomingMessage, res: ServerResponse, requestId: string, startedAt: number): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    let rawPath = q === -1 ? url : url.slice(0, q);
    // absolute-form target (`GET http://host/path`)
    if (!rawPath.startsWith('/')) rawPath = rawPath.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '') || '/';
    const path = normalizePath(rawPath);
    const { plane } = this.options;
    const method = req.method ?? 'GET';
    const match = plane.router.match({ method, path, host: requestHost(req) ?? '', port: req.socket.localPort ?? 0, header: (name) => headerValues(req, name), ...sniOf(req) });
    if (!match) return this.error(req, res, requestId, startedAt, 404, MESSAGES.noRoute);
    const route = match.route;
    const service = route.service_id === null ? undefined : plane.state.tables.services.get(route.service_id);
    if (!route.protocols.includes(isTls(req) ? 'https' : 'http')) return this.#httpsRedirect(req, res, requestId, route.https_redirect_status_code, rawPath, q === -1 ? '' : url.slice(q), requestLabels(route, service));
    const ctx = new RequestContext(req, res, requestId, startedAt, rawPath, path, q === -1 ? '' : url.slice(q + 1), match, service);
    const plugins = plane.plugins.forRoute(route.id, service?.id);
    if (plane.plugins.needsBody(route.id, service?.id)) {
      void this.#withBody(ctx).then(() => this.#run(ctx, plugins), (err: unknown) => this.#internal(ctx, err));
      return;
    }
    this.#run(ctx, plugins);
  }

  #run(ctx: RequestContext, plugins: readonly PluginRuntime[]): void {
    try {
      for (const plugin of plugins) {
        const rejection = plugin.access(ctx, this.#deps);
        if (rejection) {
          this.options.metrics.authFailure(plugin.name, rejection);
          return this.error(ctx.req, ctx.res, ctx.requestId, ctx.startedAt, rejection.status, rejection.message, rejection.headers, 'kong', ctx.labels);
        }
      }
      const service = ctx.service;
      if (!service) return this.error(ctx.req, ctx.res, ctx.requestId, ctx.startedAt, 503, MESSAGES.noService, undefined, 'kong', ctx.labels);
      this.#forward(ctx, service);
    } catch (err) {
      this.#internal(ctx, err);
    }
  }

  #forward(ctx: RequestContext, service: ServiceData): void {
    const { route, match } = ctx;
    const path = escapePath(upstreamPath(route, match.matchedPath, ctx.path, service.path));
    const target = ctx.query === '' ? path : `${path}?${ctx.query}`;
    const defaultPort = DEFAULT_PORTS[service.protocol] === service.port;
    const clientHost = requestHost(ctx.req);
    const host = route.preserve_host && clientHost ? clientHost : defaultPort ? service.host : `${service.host}:${service.port}`;
    const stripped = route.strip_path && match.matchedPath && match.matchedPath !== '/' ? match.matchedPath : undefined;
    const headers = upstreamHeaders(ctx, this.options.settings, this.#trusted, host, stripped);
    const destination = this.#destination(ctx, service, route.preserve_host ? clientHost : undefined);
    const { req } = ctx;
    const length = req.headers['content-length'];
    const hasBody = ctx.body !== undefined || (length !== undefined ? length !== '0' : req.headers['transfer-encoding'] !== undefined);
    if (!hasBody || ctx.body !== undefined) return this.#forwarder.send(ctx, service, destination, target, headers, ctx.body ?? null);
    if (route.request_buffering && length !== undefined && Number(length) <= MAX_BUFFERED_BODY) {
      readBody(req).then(
        (body) => this.#forwarder.send(ctx, service, destination, target, headers, body),
        (err: unknown) => this.#internal(ctx, err),
      );
      return;
    }
    this.#forwarder.send(ctx, service, destination, target, headers, req);
  }

  /** A service whose `host` names an upstream goes through its balancer (Kong's rule); others straight to the host. */
  #destination(ctx: RequestContext, service: ServiceData, preservedHost: string | undefined): Destination {
    const balancer = this.options.plane.balancers.get(service.host);
    if (!balancer) {
      // Stateless for a plain service: one per pool, not one per request.
      const pool = this.pools.get(service);
      let destination = this.#plain.get(pool);
      if (!destination) this.#plain.set(pool, (destination = new ServiceDestination(pool)));
      return destination;
    }
    return new UpstreamDestination(balancer, this.options.plane.balancers, service, (target) => this.pools.forTarget(service, target), hashKey(balancer.upstream, ctx), preservedHost);
  }

  async #withBody(ctx: RequestContext): Promise<void> {
    ctx.body = await readBody(ctx.req);
    try {
      ctx.parsedBody = await parseBody(ctx.body, ctx.req.headers['content-type']);
    } catch (err) {
      if (!(err instanceof BodyError)) throw err;
      ctx.bodyError = true;
    }
  }

  #internal(ctx: RequestContext, err: unknown): void {
    this.options.logger.error({ err, request_id: ctx.requestId, route_id: ctx.route.id }, 'proxy: request failed');
    if (ctx.res.headersSent) ctx.res.destroy();
    else this.error(ctx.req, ctx.res, ctx.requestId, ctx.startedAt, 500, MESSAGES.unexpected, undefined, 'kong', ctx.labels);
  }

  /**
   * An answer of the proxy's own, in Kong's format for the client's `Accept` (or, for upstream
   * failures, Kong's nginx-level choice: `Accept`, `Content-Type`, then `error_default_type`).
   */
  error(req: IncomingMessage, res: ServerResponse, requestId: string, startedAt: number, status: number, message: string, extra?: Readonly<Record<string, string>>, kind: 'kong' | 'upstream' = 'kong', labels: RequestLabels = NO_ROUTE): void {
    const { settings } = this.options;
    const type = kind === 'kong' ? negotiate(req.headers.accept) : negotiateUpstreamError(req.headers.accept, req.headers['content-type'], settings.errorDefaultType);
    const body = renderError(type, message, requestId);
    const headers: string[] = ['content-type', errorContentType(type), 'content-length', String(Buffer.byteLength(body))];
    if (settings.headers.server) headers.push('server', `keygate/${settings.version}`);
    if (settings.headers.requestId) headers.push('x-kong-request-id', requestId);
    const latency = performance.now() - startedAt;
    if (settings.headers.responseLatency) headers.push('x-kong-response-latency', String(Math.round(latency)));
    if (extra) for (const [name, value] of Object.entries(extra)) headers.push(name, value);
    this.options.metrics.request(labels, status, false);
    this.options.metrics.ownLatency(labels, latency);
    res.writeHead(status, headers);
    res.end(body);
  }

  /** A route without `http` in its protocols: Kong's `https_redirect_status_code` (426 by default). */
  #httpsRedirect(req: IncomingMessage, res: ServerResponse, requestId: string, status: number, path: string, search: string, labels: RequestLabels): void {
    this.options.metrics.request(labels, status, false);
    if (status === 426) {
      const body = JSON.stringify({ message: MESSAGES.https });
      res.writeHead(426, ['content-type', 'application/json; charset=utf-8', 'content-length', String(body.length), 'connection', 'Upgrade', 'upgrade', 'TLS/1.2, HTTP/1.1', 'x-kong-request-id', requestId]);
      res.end(body);
      return;
    }
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    res.writeHead(status, ['location', `https://${host}${path}${search}`, 'content-length', '0', 'x-kong-request-id', requestId]);
    res.end();
  }
}

