import { createServer } from 'node:http';
import { EntityStore, PluginRegistry } from '@keygate/entities';
import { openDatabases, runApp, serveHttp, type AppContext } from '@keygate/runtime';
import { createAdminApi } from './app';
import { ServerStats } from './server-stats';

/** Composition root of the Admin API node. */
export async function startAdmin(ctx: AppContext): Promise<void> {
  const plugins = new PluginRegistry(ctx.config.plugins);
  const databases = await openDatabases(ctx);
  const store = new EntityStore(databases.rw, plugins);
  const stats = new ServerStats();
  const api = createAdminApi({ loaded: ctx.loaded, node: ctx.node, db: databases.rw, store, logger: ctx.logger, stats });
  await serveHttp(ctx, 'admin', ctx.config.admin_listen, () => {
    const server = createServer(api);
    stats.attach(server);
    return server;
  });
}

export function main(argv: readonly string[]): Promise<void> {
  return runApp({ app: 'admin', argv, start: startAdmin });
}

if (require.main === module) void main(process.argv.slice(2));
