import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { KeyringService } from '@keygate/keyring';
import type { Logger } from '@keygate/logging';
import type { GuiAccess } from './access';
import { clusterSnapshot, type ClusterSnapshot } from './snapshot';
import type { VaultPanel, VaultPanelView } from './vault-panel';

export interface ClusterPageOptions {
  readonly keyring: KeyringService;
  readonly adminNodeId: string;
  readonly logger: Logger;
  /** Who may read `/api/*` (`enforce_rbac`). */
  readonly access: GuiAccess;
  /** The vault-resolver's view of each reference in use. */
  readonly vaults: VaultPanel;
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
const MAX_SIGN_IN_BYTES = 4096;

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
 * client together, never per node; the vault panel reads one vault-resolver (`VaultPanel`).
 * With `enforce_rbac = on` the data needs a token with read on `/keyring` (`GuiAccess`).
 */
export class ClusterPage {
  /** Open event streams, with the request that opened them (its credentials are checked again). */
  readonly #clients = new Map<ServerResponse, IncomingMessage>();
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
    this.#keepAlive = setInterval(() => void this.#keepStreams(), 15_000);
    this.#keepAlive.unref();
    this.options.vaults.start(() => this.#clients.size > 0, (view) => this.#broadcast('vaults', view));
  }

  stop(): void {
    clearInterval(this.#timer);
    clearInterval(this.#keepAlive);
    this.options.vaults.stop();
    this.#unsubscribe?.();
    for (const res of this.#clients.keys()) res.end();
    this.#clients.clear();
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] as string;
    const session = path === '/api/session';
    if (req.method !== 'GET' && req.method !== 'HEAD' && !(session && (req.method === 'POST' || req.method === 'DELETE'))) {
      return json(res, 405, { message: 'Method not allowed' }, { allow: session ? 'POST, DELETE' : 'GET, HEAD' });
    }
    if (!this.#addressedDirectly(req.headers.host)) {
      this.options.logger.warn({ host: req.headers.host?.slice(0, 100) }, 'cluster page: request by an unknown host name refused (DNS rebinding)');
      return json(res, 403, { message: 'Address the cluster page by IP address, localhost or a host listed in admin_gui_url' });
    }
    const asset = ASSETS[path];
    if (asset) return send(res, 200, asset.type, this.#assets.get(asset.file)!);
    if (session) return this.#session(req, res);
    if (path !== '/api/cluster' && path !== '/api/events') return json(res, 404, { message: 'Not found' });
    const decision = await this.options.access.check(req);
    if (!decision.ok) return json(res, decision.status, { message: decision.message });
    if (path === '/api/cluster') return json(res, 200, { ...(await this.#snapshot()), user: decision.user });
    return this.#stream(req, res);
  }

  /** `POST /api/session` `{"token": "..."}` signs in (a session cookie); `DELETE` signs out. Same origin only. */
  async #session(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'GET' || req.method === 'HEAD') return json(res, 405, { message: 'Method not allowed' }, { allow: 'POST, DELETE' });
    if (!sameOrigin(req)) return json(res, 403, { message: 'Sign in from the cluster page itself' });
    if (req.method === 'DELETE') return send(res, 204, 'text/plain', '', { 'set-cookie': this.options.access.signOut(req) });
    if (!this.options.access.enforced) return json(res, 404, { message: 'enforce_rbac is off: the cluster page needs no sign-in' });
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return json(res, 415, { message: 'Send {"token": "..."} as application/json' });
    const token = await readToken(req);
    if (token === undefined) return json(res, 400, { message: 'Send {"token": "..."} as application/json' });
    const outcome = await this.options.access.signIn(req, token);
    if (!outcome.ok) return json(res, outcome.status, { message: outcome.message });
    return send(res, 204, 'text/plain', '', { 'set-cookie': outcome.cookie! });
  }

  async #stream(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.#clients.size >= (this.options.maxClients ?? 32)) return json(res, 503, { message: 'too many open cluster pages' });
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    this.#clients.set(res, req);
    res.once('close', () => this.#clients.delete(res));
    event(res, 'snapshot', await this.#snapshot());
  }

  /** Keeps streams open through proxies, and ends those whose token lost its access (revoked, role removed, session over). */
  async #keepStreams(): Promise<void> {
    for (const [res, req] of this.#clients) {
      // A failed check (database away) keeps the stream; the next one decides.
      const decision = this.options.access.enforced ? await this.options.access.check(req).catch(() => undefined) : undefined;
      if (decision && !decision.ok) {
        event(res, 'signed-out', { message: decision.message });
        res.end();
        this.#clients.delete(res);
      } else res.write(': keep-alive\n\n');
    }
  }

  async #snapshot(): Promise<ClusterSnapshot & { readonly vaults: VaultPanelView }> {
    const [cluster, vaults] = await Promise.all([clusterSnapshot(this.options.keyring, this.options.adminNodeId), this.options.vaults.current()]);
    return { ...cluster, vaults };
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
    for (const res of this.#clients.keys()) event(res, name, data);
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

function json(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body), extra);
}

/** A browser's request from this listener's own page: `Origin` (sent on every POST/DELETE by browsers) names this host. */
function sameOrigin(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

async function readToken(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_SIGN_IN_BYTES) return undefined;
    chunks.push(chunk);
  }
  try {
    const token = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { token?: unknown }).token;
    return typeof token === 'string' && token !== '' ? token : undefined;
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, ...extra, 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
