import { createServer as createHttpServer, type IncomingMessage, type RequestListener, type Server as HttpServer, type ServerOptions, type ServerResponse } from 'node:http';
import type { Http2SecureServer } from 'node:http2';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { Server as NetServer, type AddressInfo } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import type { Config, ListenAddress } from '@keygate/config';
import type { Logger } from '@keygate/logging';
import { loadListenerTls, type TlsListenerName } from './listener-tls';
import { listenHandlesFromParent, requestListenHandle } from './listen-handles';

export type Server = HttpServer | HttpsServer | Http2SecureServer;

export interface BoundAddress {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
}

/** Makes the server for one entry: plain HTTP, or HTTPS with `tls` for an `ssl` entry (`address` says e.g. `http2`). */
export type ServerFactory = (tls?: SecureContextOptions, address?: ListenAddress) => Server;

/** Servers on a socket their parent keeps (`listen-handles`): a successor serves on it after them. */
const handedOver = new WeakSet<Server>();
let successor = false;

/** This process is being replaced (`keygate reload`): its handed-over sockets go on serving in a successor. */
export function expectSuccessor(): void {
  successor = true;
}

export function successorExpected(): boolean {
  return successor;
}

/**
 * Listens on `address`: binds it here, or, under a parent that keeps the socket (the all-in-one
 * node), on the parent's socket. Port 0 is always bound here: such a listener is this process's
 * own (a role's status listener), not one a successor takes over.
 */
async function listenOn(server: Server, address: ListenAddress): Promise<void> {
  const handle = address.port !== 0 && listenHandlesFromParent() ? await requestListenHandle(address.host, address.port) : undefined;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const listening = () => {
      server.off('error', reject);
      resolve();
    };
    if (handle) server.listen(handle, address.backlog ?? 511, listening);
    else server.listen({ host: address.host, port: address.port, backlog: address.backlog }, listening);
  });
  if (handle) handedOver.add(server);
}

/**
 * A `ServerFactory` for a request handler: HTTP/1.1, over TLS for `ssl` entries. `http2` entries
 * are served the same way (ALPN offers only http/1.1): express does not run on node:http2's
 * compatibility API (it swaps the request prototype for http.IncomingMessage's).
 */
export function httpServer(handler: RequestListener, options: ServerOptions = {}): ServerFactory {
  return (tls) => (tls ? createHttpsServer({ ...options, ...tls, ALPNProtocols: ['http/1.1'] }, handler) : createHttpServer(options, handler));
}

/**
 * Binds a server on each entry of a `*_listen` setting and logs the bound port (port 0 picks a
 * free one; tests read it from that log line). `ssl` entries are served over TLS with what
 * `tls()` returns (called once, only if there is such an entry); without `tls` they are skipped
 * with a warning (the proxy's TLS is not built yet).
 */
export async function listenAll(
  name: string,
  addresses: readonly ListenAddress[],
  createServer: ServerFactory,
  logger: Logger,
  tls?: () => SecureContextOptions,
  /** The factory serves HTTP/2 on `http2` entries itself (the proxy); otherwise they get HTTP/1.1. */
  options: { readonly http2?: boolean } = {},
): Promise<{ servers: Server[]; bound: BoundAddress[] }> {
  const servers: Server[] = [];
  const bound: BoundAddress[] = [];
  let secure: SecureContextOptions | undefined;
  for (const address of addresses) {
    if (address.ssl && !tls) {
      logger.warn({ listener: name, entry: address.text }, `${name}: TLS listeners are not supported yet; skipping this entry`);
      continue;
    }
    if (address.ssl && address.http2 && !options.http2) {
      logger.info({ listener: name, entry: address.text }, `${name}: http2 is not supported; serving HTTP/1.1 over TLS on ${address.host}:${address.port}`);
    }
    let server: Server;
    try {
      if (address.ssl) secure ??= (tls as () => SecureContextOptions)();
      server = createServer(address.ssl ? secure : undefined, address);
    } catch (err) {
      await closeServers(servers, 0);
      throw err;
    }
    await listenOn(server, address).catch(async (err: NodeJS.ErrnoException) => {
      await closeServers(servers, 0);
      throw new Error(`${name}: cannot listen on ${address.host}:${address.port}: ${err.code ?? err.message}`);
    });
    const info = server.address() as AddressInfo;
    bound.push({ host: address.host, port: info.port, tls: address.ssl });
    servers.push(server);
    logger.info(
      { listener: name, address: address.host, port: info.port, ...(address.ssl ? { tls: true } : {}) },
      `${name} listening on ${address.host}:${info.port}${address.ssl ? ' (TLS)' : ''}`,
    );
  }
  return { servers, bound };
}

/**
 * `listenAll` for an app: the servers are closed (draining in-flight requests) when the node
 * stops, or when a later step of start-up fails. `tls` names the listener's certificate
 * settings (`admin` = `admin_ssl_cert` / `admin_ssl_cert_key`); without it `ssl` entries are skipped.
 */
export async function serveHttp(
  ctx: { readonly config: Config; readonly logger: Logger; defer(cleanup: () => Promise<void>): void },
  name: string,
  addresses: readonly ListenAddress[],
  createServer: ServerFactory,
  tls?: TlsListenerName,
): Promise<BoundAddress[]> {
  const load = tls ? () => loadListenerTls(ctx.config, tls, ctx.logger).options : undefined;
  const { servers, bound } = await listenAll(name, addresses, createServer, ctx.logger, load);
  ctx.defer(() => closeServers(servers));
  return bound;
}

/**
 * Stops accepting, lets in-flight requests finish for `graceMs`, then closes what is left.
 * When a successor takes over the socket (`expectSuccessor()` was called),
 * idle keep-alive connections are not cut (a request the client is sending on one at that
 * moment would fail): each one's next response says `Connection: close`, and an idle one ends at
 * its keep-alive timeout or at `graceMs`. Otherwise (a stop) they are closed at once.
 */
export async function closeServers(servers: readonly Server[], graceMs = 5_000): Promise<void> {
  await Promise.all(
    servers.map(
      (server) =>
        new Promise<void>((resolve) => {
          if (!server.listening) return resolve();
          // An HTTP/2 server has no connection list of its own: its sessions end when closed.
          const http1 = 'closeAllConnections' in server ? server : undefined;
          const timer = setTimeout(() => (http1 ? http1.closeAllConnections() : resolve()), graceMs);
          const closed = () => {
            clearTimeout(timer);
            resolve();
          };
          if (http1 && successor && handedOver.has(server)) {
            http1.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => (res.shouldKeepAlive = false));
            // net.Server's close: http.Server's would also cut the idle connections at once.
            NetServer.prototype.close.call(http1, closed);
            return;
          }
          server.close(closed);
          http1?.closeIdleConnections();
        }),
    ),
  );
}
