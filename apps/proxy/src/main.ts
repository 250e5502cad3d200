import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { closeServers, listenAll, openDatabases, runApp, type AppContext, type StartedApp } from '@keygate/runtime';

/**
 * Composition root of the proxy (data plane). Until routing lands, its router is empty and
 * every request gets Kong's answer for an unmatched request.
 */
export async function startProxy(ctx: AppContext): Promise<StartedApp> {
  const databases = await openDatabases(ctx);
  const { servers } = await listenAll(
    'proxy',
    ctx.config.proxy_listen,
    () =>
      createServer((req, res) => {
        const body = JSON.stringify({ message: 'no Route matched with those values', request_id: randomUUID() });
        res.writeHead(404, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
        res.end(body);
        req.resume();
      }),
    ctx.logger,
  ).catch(async (err: unknown) => {
    await databases.close();
    throw err;
  });
  return {
    async stop() {
      await closeServers(servers);
      await databases.close();
    },
  };
}

export function main(argv: readonly string[]): Promise<void> {
  return runApp({ app: 'proxy', argv, start: startProxy });
}

if (require.main === module) void main(process.argv.slice(2));
