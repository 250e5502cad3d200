import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect as tlsConnect } from 'node:tls';
import type { AddressInfo, Socket } from 'node:net';
import { AppProcess, httpClient, type HttpClient } from '@keygate/testing';

export interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** An upstream in the test process that answers with what it received (JSON) and records it. */
export async function echoServer(): Promise<{ url: string; port: number; seen: Seen[]; last(): Seen; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const record = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      seen.push(record);
      const body = JSON.stringify(record);
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'echo', connection: 'keep-alive, x-hop', 'x-hop': 'dropped' });
      res.end(body);
    });
  });
  return listen(server, seen);
}

/** A TCP server with custom behaviour (slow, broken responses) standing in for an upstream. */
export async function rawServer(onSocket: (socket: Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const { createServer: createTcpServer } = await import('node:net');
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

async function listen(server: Server, seen: Seen[]) {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    last: () => seen[seen.length - 1] as Seen,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Polls `check` until it returns true (no timed assertion: a deadline, then the last value is reported). */
export async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export interface ProxyResult {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: Record<string, unknown> & { headers?: IncomingHttpHeaders; url?: string; method?: string; body?: string };
}

export interface CallOptions {
  readonly method?: string;
  /** Sent as given (node:http allows `Host`, `Connection` and repeated headers: pass an array). */
  readonly headers?: Record<string, string | string[]>;
  readonly body?: string | Buffer;
}

/** One request with node:http (fetch forbids setting `Host` or `Connection`). */
export function call(base: string, path: string, options: CallOptions = {}): Promise<ProxyResult> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method: options.method ?? 'GET', headers: options.headers, agent: false, timeout: 20_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: ProxyResult['json'] = {};
          try {
            json = JSON.parse(text) as ProxyResult['json'];
          } catch {
            // not JSON
          }
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
          resolve({ status: res.statusCode ?? 0, headers, text, json });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Admin and proxy nodes on one test database. */
export class Cluster {
  private constructor(
    readonly admin: AppProcess,
    readonly proxies: AppProcess[],
    readonly api: HttpClient,
  ) {}

  static async start(env: Record<string, string>, options: { proxies?: number; workers?: number; proxyEnv?: Record<string, string> } = {}): Promise<Cluster> {
    const admin = await AppProcess.start('admin', { env });
    const proxies: AppProcess[] = [];
    try {
      for (let i = 0; i < (options.proxies ?? 1); i++) {
        proxies.push(await AppProcess.start('proxy', { env: { ...env, KONG_PROXY_WORKERS: String(options.workers ?? 1), ...options.proxyEnv } }));
      }
    } catch (err) {
      await Promise.all([admin.stop(), ...proxies.map((p) => p.stop())]);
      throw err;
    }
    return new Cluster(admin, proxies, httpClient(admin.url('admin')));
  }

  get proxy(): string {
    return this.proxies[0]!.url('proxy');
  }

  /** Polls the first proxy until `path` answers `status` (changes reach proxies asynchronously). */
  until(path: string, status: number, init: CallOptions = {}, base = this.proxy): Promise<ProxyResult> {
    return eventually(() => call(base, path, init), (r) => r.status === status);
  }

  async stop(): Promise<void> {
    await Promise.all([this.admin.stop(), ...this.proxies.map((p) => p.stop())]);
  }
}

/** The certificate a TLS listener presents for `servername` (handshake only), by SHA-256 fingerprint. */
export function servedCertificate({ host, port }: { host: string; port: number }, servername: string | undefined, options: { ciphers?: string; maxVersion?: 'TLSv1.2' | 'TLSv1.3'; sigalgs?: string } = {}): Promise<{ fingerprint256: string; subject: string }> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host, port, ...(servername ? { servername } : {}), rejectUnauthorized: false, ...options }, () => {
      const cert = socket.getPeerCertificate();
      socket.destroy();
      resolve({ fingerprint256: cert.fingerprint256, subject: String(cert.subject?.CN ?? '') });
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error('TLS handshake timed out')));
    socket.on('error', reject);
  });
}

/** Address and port of a proxy's `n`th TLS entry, from its log. */
export function tlsAddress(node: AppProcess, n = 0): { host: string; port: number } {
  const lines = node.lines.filter((l) => l.includes('"listener":"proxy"') && l.includes('listening on') && l.includes('"tls":true'));
  const line = lines[n];
  if (!line) throw new Error(`no TLS proxy listener #${n}`);
  const { address, port } = JSON.parse(line) as { address: string; port: number };
  return { host: address, port };
}
