import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ClusterError } from './errors';

/** A node of the running cluster as `cluster status` lists it. */
export interface ControlNode {
  readonly name: string;
  readonly app: string;
  readonly serves?: string;
  readonly statusUrl: string;
}

export interface ControlHandlers {
  nodes(): ControlNode[];
  /** Starts or stops proxies until `proxies` run; resolves when the new ones are ready. */
  scaleProxies(proxies: number): Promise<void>;
}

/** Written by `cluster up` in its state directory (mode 0600) while it runs. */
interface ControlFile {
  readonly pid: number;
  readonly url: string;
  readonly token: string;
}

const FILE = 'cluster-control.json';
const MAX_PROXIES = 64;

async function readBody(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) {
    text += String(chunk);
    if (text.length > 4096) throw new ClusterError('request body too large');
  }
  return text ? JSON.parse(text) : {};
}

/**
 * The live control of `keygate cluster up`: an HTTP endpoint on 127.0.0.1 (random port) that
 * `keygate cluster status` and `keygate cluster scale` call, authenticated by a token in the
 * state directory (only the user who runs the cluster can read it). Scale requests run one at a time.
 */
export class ClusterControl {
  #server: Server | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #token = randomBytes(24).toString('base64url');

  constructor(
    private readonly stateDir: string,
    private readonly handlers: ControlHandlers,
  ) {}

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const given = Buffer.from(req.headers.authorization ?? '');
      const expected = Buffer.from(`Bearer ${this.#token}`);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return send(401, { message: 'missing or wrong control token' });
      if (req.method === 'GET' && req.url === '/nodes') return send(200, { nodes: this.handlers.nodes() });
      if (req.method === 'POST' && req.url === '/scale') {
        const work = this.#queue.then(async () => {
          const body = (await readBody(req)) as { proxies?: unknown };
          const n = body.proxies;
          if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_PROXIES) throw new ClusterError(`proxies must be an integer from 0 to ${MAX_PROXIES}`);
          await this.handlers.scaleProxies(n);
          return this.handlers.nodes();
        });
        this.#queue = work.catch(() => undefined);
        work.then(
          (nodes) => send(200, { nodes }),
          (err: unknown) => send(err instanceof ClusterError || err instanceof SyntaxError ? 400 : 500, { message: (err as Error).message }),
        );
        return;
      }
      return send(404, { message: 'Not found' });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0 }, resolve);
    });
    this.#server = server;
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const file: ControlFile = { pid: process.pid, url, token: this.#token };
    writeFileSync(join(this.stateDir, FILE), JSON.stringify(file), { mode: 0o600 });
    return url;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    rmSync(join(this.stateDir, FILE), { force: true });
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** Calls the control endpoint of the cluster running with this state directory. */
export async function callControl(stateDir: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ nodes: ControlNode[] }> {
  const path_ = join(stateDir, FILE);
  if (!existsSync(path_)) throw new ClusterError(`no keygate cluster up runs with state directory ${stateDir} (start one: npm start, or keygate cluster up)`);
  const file = JSON.parse(readFileSync(path_, 'utf8')) as ControlFile;
  let res: Response;
  try {
    res = await fetch(`${file.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${file.token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(180_000),
    });
  } catch (err) {
    throw new ClusterError(`the cluster (pid ${file.pid}) does not answer at ${file.url}: ${(err as Error).message}; is it still running?`);
  }
  const answer = (await res.json()) as { nodes: ControlNode[]; message?: string };
  if (!res.ok) throw new ClusterError(answer.message ?? `control answered ${res.status}`);
  return answer;
}
