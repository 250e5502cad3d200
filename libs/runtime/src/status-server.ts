import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SecureContextOptions } from 'node:tls';
import type { ListenAddress } from '@keygate/config';
import type { Logger } from '@keygate/logging';
import { closeServers, httpServer, listenAll, type BoundAddress, type Server } from './listen';
import { METRICS_CONTENT_TYPE } from './metrics';
import { uptimeSeconds, type NodeInfo } from './node-info';

/** A part of `GET /status` contributed by a subsystem (database, keyring, ...). */
export type StatusSection = () => Promise<unknown> | unknown;

/** Returns why the node is not ready, or undefined when it is. */
export type ReadinessCheck = () => Promise<string | undefined>;

export interface StatusServerOptions {
  readonly node: NodeInfo;
  readonly listen: readonly ListenAddress[];
  readonly logger: Logger;
  /** What `ssl` entries of `status_listen` are served with (`status_ssl_cert`); called only if there is one. */
  readonly tls?: () => SecureContextOptions;
}

/**
 * Every app serves `status_listen`: `GET /status` (node id, app, uptime and the sections
 * subsystems add) and `GET /status/ready` (200 `{"message":"ready"}` or 503 with the reason,
 * as Kong's status API).
 */
export class StatusServer {
  readonly #sections = new Map<string, StatusSection>();
  readonly #checks: ReadinessCheck[] = [];
  readonly #routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => Promise<void> | void>();
  #started = false;
  #stopping = false;
  #servers: Server[] = [];
  bound: BoundAddress[] = [];

  constructor(private readonly options: StatusServerOptions) {}

  addSection(name: string, section: StatusSection): this {
    this.#sections.set(name, section);
    return this;
  }

  addReadinessCheck(check: ReadinessCheck): this {
    this.#checks.push(check);
    return this;
  }

  /** Extra GET endpoints, e.g. `/metrics`. */
  addRoute(path: string, handler: (req: IncomingMessage, res: ServerResponse) => Promise<void> | void): this {
    this.#routes.set(path, handler);
    return this;
  }

  /** `GET /metrics`: `text()` in Prometheus's text format (replaces an earlier one). */
  addMetrics(text: () => Promise<string>): this {
    return this.addRoute('/metrics', async (_req, res) => {
      const body = await text();
      res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE });
      res.end(body);
    });
  }

  /** Marks the node as started: readiness checks apply from now on. */
  markStarted(): void {
    this.#started = true;
  }

  /** Marks the node as draining: `/status/ready` answers 503 so balancers stop sending work. */
  markStopping(): void {
    this.#stopping = true;
  }

  async start(): Promise<BoundAddress[]> {
    const { servers, bound } = await listenAll(
      'status',
      this.options.listen,
      httpServer((req, res) => void this.#handle(req, res)),
      this.options.logger,
      this.options.tls,
    );
    this.#servers = servers;
    this.bound = bound;
    return bound;
  }

  async stop(): Promise<void> {
    await closeServers(this.#servers, 1_000);
    this.#servers = [];
  }

  async notReadyReason(): Promise<string | undefined> {
    if (this.#stopping) return 'node is shutting down';
    if (!this.#started) return 'node is starting';
    for (const check of this.#checks) {
      const reason = await check().catch((err: unknown) => `readiness check failed: ${(err as Error).message}`);
      if (reason) return reason;
    }
    return undefined;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] as string;
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { message: 'Method not allowed' });
      if (path === '/status') return send(res, 200, await this.#status());
      if (path === '/status/ready') {
        const reason = await this.notReadyReason();
        return send(res, reason ? 503 : 200, { message: reason ?? 'ready' });
      }
      const route = this.#routes.get(path);
      if (route) return await route(req, res);
      return send(res, 404, { message: 'Not found' });
    } catch (err) {
      this.options.logger.error({ err, path }, 'status endpoint failed');
      if (!res.headersSent) send(res, 500, { message: 'An unexpected error occurred' });
    }
  }

  async #status(): Promise<Record<string, unknown>> {
    const { node } = this.options;
    const body: Record<string, unknown> = {
      node_id: node.nodeId,
      app: node.app,
      version: node.version,
      hostname: node.hostname,
      pid: node.pid,
      started_at: Math.floor(node.startedAt.getTime() / 1000),
      uptime_seconds: uptimeSeconds(node),
    };
    const reason = await this.notReadyReason();
    body.ready = reason === undefined;
    if (reason) body.not_ready_reason = reason;
    for (const [name, section] of this.#sections) {
      body[name] = await Promise.resolve(section()).catch((err: unknown) => ({ error: (err as Error).message }));
    }
    return body;
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
