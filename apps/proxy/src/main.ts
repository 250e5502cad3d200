import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { openDatabases, runApp, serveHttp, type AppContext } from '@keygate/runtime';

/**
 * Composition root of the proxy (data plane). Until routing lands, its router is empty and
 * every request gets Kong's answer for an unmatched request.
 */
export async function startProxy(ctx: AppContext): Promise<void> {
  await openDatabases(ctx);
  await serveHttp(ctx, 'proxy', ctx.config.proxy_listen, () =>
    createServer((req, res) => {
      const body = JSON.stringify({ message: 'no Route matched with those values', request_id: randomUUID() });
      res.writeHead(404, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      req.resume();
    }),
  );
}

export function main(argv: readonly string[]): Promise<void> {
  return runApp({ app: 'proxy', argv, start: startProxy });
}

if (require.main === module) void main(process.argv.slice(2));
