import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ListenAddress } from '@keygate/config';
import type { Logger } from '@keygate/logging';

export interface BoundAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * Binds `createServer()` on each plain-HTTP entry of a `*_listen` setting and logs the bound
 * port (port 0 picks a free one; tests read it from that log line). TLS entries are skipped
 * with a warning until TLS termination lands.
 */
export async function listenAll(
  name: string,
  addresses: readonly ListenAddress[],
  createServer: () => Server,
  logger: Logger,
): Promise<{ servers: Server[]; bound: BoundAddress[] }> {
  const servers: Server[] = [];
  const bound: BoundAddress[] = [];
  for (const address of addresses) {
    if (address.ssl) {
      logger.warn({ listener: name, entry: address.text }, `${name}: TLS listeners are not supported yet; skipping this entry`);
      continue;
    }
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: address.host, port: address.port, backlog: address.backlog }, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch(async (err: NodeJS.ErrnoException) => {
      await closeServers(servers, 0);
      throw new Error(`${name}: cannot listen on ${address.host}:${address.port}: ${err.code ?? err.message}`);
    });
    const info = server.address() as AddressInfo;
    bound.push({ host: address.host, port: info.port });
    servers.push(server);
    logger.info({ listener: name, address: address.host, port: info.port }, `${name} listening on ${address.host}:${info.port}`);
  }
  return { servers, bound };
}

/**
 * `listenAll` for an app: the servers are closed (draining in-flight requests) when the node
 * stops, or when a later step of start-up fails.
 */
export async function serveHttp(
  ctx: { readonly logger: Logger; defer(cleanup: () => Promise<void>): void },
  name: string,
  addresses: readonly ListenAddress[],
  createServer: () => Server,
): Promise<BoundAddress[]> {
  const { servers, bound } = await listenAll(name, addresses, createServer, ctx.logger);
  ctx.defer(() => closeServers(servers));
  return bound;
}

/** Stops accepting, lets in-flight requests finish for `graceMs`, then closes what is left. */
export async function closeServers(servers: readonly Server[], graceMs = 5_000): Promise<void> {
  await Promise.all(
    servers.map(
      (server) =>
        new Promise<void>((resolve) => {
          if (!server.listening) return resolve();
          const timer = setTimeout(() => server.closeAllConnections(), graceMs);
          server.close(() => {
            clearTimeout(timer);
            resolve();
          });
          server.closeIdleConnections();
        }),
    ),
  );
}
