import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { KeyringService } from '@keygate/keyring';
import type { Logger } from '@keygate/logging';
import { clusterSnapshot, type ClusterSnapshot } from './snapshot';

export interface ClusterPageOptions {
  readonly keyring: KeyringService;
  readonly adminNodeId: string;
  readonly logger: Logger;
  /** Origins of `admin_gui_url`: their hosts may address this listener besides IPs and localhost. */
  readonly allowedOrigins?: readonly string[];
  /** How often the tables are re-read for clients (members joining or leaving, run progress). @defaultValue 1000 */
  readonly refreshMs?: number;
  /** Event streams open at once; more get 503. @defaultValue 32 */
  readonly maxClients?: number;
}

/** The page's files (plain HTML, CSS and a script; no framework, nothing from a CDN). */
const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/cluster.js': { file: 'cluster.js', type: 'text/javascript; charset=utf-8' },
  '/cluster.css': { file: 'cluster.css', type: 'text/css; charset=utf-8' },
};
/** apps/admin/gui, from src/gui (tests) and dist/gui (built) alike. */
const ASSET_DIR = join(__dirname, '..', '..', 'gui');

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/**
 * The cluster page on `admin_gui_listen`: the page, its JSON snapshot (`/api/cluster`) and a
 * server-sent event stream (`/api/events`), all on this listener, so the page makes no
 * cross-origin call. Read-only (GET only): rotating a key stays an Admin API call. Members'
 * key views arrive as verified `applied` messages from the bus and are pushed at once; the
 * tables (members, the latest re-encryption run) are re-read once per `refreshMs` for every
 * client together, never per node.
 */
export class ClusterPage {
  readonly #clients = new Set<ServerResponse>();
  readonly #assets = new Map<string, Buffer>();
  readonly #allowedHosts: Set<string>;
  #timer: NodeJS.Timeout | undefined;
  #keepAlive: NodeJS.Timeout | undefined;
  #last = '';
  #unsubscribe: (() => void) | undefined;

  constructor(private readonly options: ClusterPageOptions) {
    for (const { file } of Object.values(ASSETS)) this.#assets.set(file, readFileSync(join(ASSET_DIR, file)));
    this.#allowedHosts = new Set((options.allowedOrigins ?? []).map((o) => new URL(o).hostname));
  }

  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    void this.#handle(req, res).catch((err: unknown) => {
      this.options.logger.error({ err, path: req.url }, 'cluster page: request failed');
      if (!res.headersSent) send(res, 500, 'application/json', JSON.stringify({ message: 'An unexpected error occurred' }));
      else res.end();
    });
  };

  start(): void {
    const view = this.options.keyring.clusterView();
    this.#unsubscribe = view?.onReport((report) => this.#broadcast('member', { node_id: report.node_id, active: report.active, key_ids: report.key_ids, source: 'signed' }));
    this.#timer = setInterval(() => void this.#refresh(), this.options.refreshMs ?? 1000);
    this.#timer.unref();
    this.#keepAlive = setInterval(() => this.#clients.forEach((res) => res.write(': keep-alive\n\n')), 15_000);
    this.#keepAlive.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    clearInterval(this.#keepAlive);
    this.#unsubscribe?.();
    for (const res of this.#clients) res.end();
    this.#clients.clear();
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] as string;
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'application/json', JSON.stringify({ message: 'Method not allowed' }), { allow: 'GET, HEAD' });
    if (!this.#addressedDirectly(req.headers.host)) {
      this.options.logger.warn({ host: req.headers.host?.slice(0, 100) }, 'cluster page: request by an unknown host name refused (DNS rebinding)');
      return send(res, 403, 'application/json', JSON.stringify({ message: 'Address the cluster page by IP address, localhost or a host listed in admin_gui_url' }));
    }
    const asset = ASSETS[path];
    if (asset) return send(res, 200, asset.type, this.#assets.get(asset.file)!);
    if (path === '/api/cluster') return send(res, 200, 'application/json; charset=utf-8', JSON.stringify(await this.#snapshot()));
    if (path === '/api/events') return this.#stream(res);
    return send(res, 404, 'application/json', JSON.stringify({ message: 'Not found' }));
  }

  async #stream(res: ServerResponse): Promise<void> {
    if (this.#clients.size >= (this.options.maxClients ?? 32)) return send(res, 503, 'application/json', JSON.stringify({ message: 'too many open cluster pages' }));
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    this.#clients.add(res);
    res.once('close', () => this.#clients.delete(res));
    event(res, 'snapshot', await this.#snapshot());
  }

  #snapshot(): Promise<ClusterSnapshot> {
    return clusterSnapshot(this.options.keyring, this.options.adminNodeId);
  }

  /** Re-reads the tables once for every client, and pushes the snapshot when it changed. */
  async #refresh(): Promise<void> {
    if (this.#clients.size === 0) return;
    try {
      const snapshot = await this.#snapshot();
      const nodes = snapshot.nodes.map((n) => [n.node_id, n.app, n.admitted, n.active, n.key_ids, n.source, n.converged]);
      const fingerprint = JSON.stringify([nodes, snapshot.reencrypt, snapshot.keyring]);
      if (fingerprint === this.#last) return;
      this.#last = fingerprint;
      this.#broadcast('snapshot', snapshot);
    } catch (err) {
      this.options.logger.warn({ err }, 'cluster page: reading the cluster state failed; will retry');
    }
  }

  #broadcast(name: string, data: unknown): void {
    for (const res of this.#clients) event(res, name, data);
  }

  #addressedDirectly(hostHeader: string | undefined): boolean {
    if (!hostHeader) return false;
    let host: string;
    try {
      host = new URL(`http://${hostHeader}`).hostname;
    } catch {
      return false;
    }
    return host === 'localhost' || host.endsWith('.localhost') || isIP(host.replace(/^\[|\]$/g, '')) !== 0 || this.#allowedHosts.has(host);
  }
}

function event(res: ServerResponse, name: string, data: unknown): void {
  res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, ...extra, 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
