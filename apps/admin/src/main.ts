import { createServer } from 'node:http';
import { notify } from '@keygate/bus';
import { ENTITY_CHANGES, EntityStore, PluginRegistry } from '@keygate/entities';
import { startKeyring } from '@keygate/keyring';
import { startBus, openDatabases, runApp, serveHttp, type AppContext, parseAppArgs, type AppArgs } from '@keygate/runtime';
import { vaultReferences } from '@keygate/vaults';
import { createAdminApi } from './app';
import { ServerStats } from './server-stats';

/** Composition root of the Admin API node. */
export async function startAdmin(ctx: AppContext): Promise<void> {
  const plugins = new PluginRegistry(ctx.config.plugins);
  const databases = await openDatabases(ctx);
  const bus = await startBus(ctx, databases.rw);
  const keyring = await startKeyring(ctx, databases.rw, { bus, migrateDigests: true });
  // Every committed write is announced on the bus, so proxies apply it within milliseconds.
  const store = new EntityStore(databases.rw, plugins, keyring.protector, (tx, change) => notify(tx, ENTITY_CHANGES, change));
  const stats = new ServerStats();
  const api = createAdminApi({ loaded: ctx.loaded, node: ctx.node, db: databases.rw, store, keyring, logger: ctx.logger, stats });
  await serveHttp(ctx, 'admin', ctx.config.admin_listen, () => {
    const server = createServer(api);
    stats.attach(server);
    return server;
  });
}

export function main(args: AppArgs = {}): Promise<void> {
  return runApp({ app: 'admin', ...args, start: startAdmin, resolveReference: vaultReferences() });
}

if (require.main === module) void main(parseAppArgs('admin', process.argv.slice(2)));
