import { notify } from '@keygate/bus';
import { ENTITY_CHANGES, EntityStore, PluginRegistry } from '@keygate/entities';
import { startKeyring, type KeyringService } from '@keygate/keyring';
import { startBus, openDatabases, runApp, serveHttp, httpServer, type AppContext, parseAppArgs, type AppArgs } from '@keygate/runtime';
import { vaultReferences } from '@keygate/vaults';
import { memberSigner, VaultResolverClient } from '@keygate/vaults/client';
import { vaultResolverUrl } from '@keygate/vaults/service';
import { startAdminAuth, trackEntityPermissions } from './admin-auth';
import { createAdminApi, type AdminAuthDeps } from './app';
import { ServerStats } from './server-stats';
import { GuiAccess } from './gui/access';
import { ClusterPage } from './gui/server';
import { VaultPanel } from './gui/vault-panel';

/** Composition root of the Admin API node. */
export async function startAdmin(ctx: AppContext): Promise<void> {
  const plugins = new PluginRegistry(ctx.config.plugins);
  const databases = await openDatabases(ctx);
  const bus = await startBus(ctx, databases.rw);
  const adminAuth = await startAdminAuth(ctx, databases.rw, bus);
  const audit = adminAuth?.audit;
  const keyring = await startKeyring(ctx, databases.rw, { bus, migrateDigests: true, ...(audit ? { audit } : {}) });
  // Every committed write is announced on the bus, so proxies apply it within milliseconds, and
  // recorded in the audit log in the same transaction.
  const store = new EntityStore(databases.rw, plugins, keyring.protector, async (tx, change) => {
    await notify(tx, ENTITY_CHANGES, change);
    await audit?.recordEntityChange(tx, change);
    if (adminAuth) await trackEntityPermissions(adminAuth, tx, change, () => store.definitions().map((def) => def.name));
  });
  const stats = new ServerStats();
  const api = createAdminApi({ loaded: ctx.loaded, node: ctx.node, db: databases.rw, store, keyring, logger: ctx.logger, stats, ...(adminAuth ? { adminAuth } : {}) });
  const serve = httpServer(api);
  await serveHttp(
    ctx,
    'admin',
    ctx.config.admin_listen,
    (tls) => {
      const server = serve(tls);
      stats.attach(server);
      return server;
    },
    'admin',
  );
  await serveClusterPage(ctx, keyring, adminAuth);
}

/** The cluster page on `admin_gui_listen` (off by default); read-only, on its own listener. */
async function serveClusterPage(ctx: AppContext, keyring: KeyringService, adminAuth: AdminAuthDeps | undefined): Promise<void> {
  const listen = ctx.config.admin_gui_listen;
  if (listen.length === 0) return;
  const { config } = ctx;
  const logger = ctx.logger.child({ component: 'cluster-page' });
  const access = new GuiAccess({ rbac: adminAuth?.enforce ? adminAuth.authenticator : undefined, tokenHeader: config.rbac_auth_header, logger });
  const url = vaultResolverUrl(config);
  const client = url ? new VaultResolverClient({ url, signer: memberSigner(ctx.membership), timeoutMs: config.vault_resolver_timeout, logger }) : undefined;
  const vaults = new VaultPanel({ client, url: url ?? null, logger });
  const page = new ClusterPage({ keyring, adminNodeId: ctx.node.nodeId, logger, access, vaults, ...(config.admin_gui_url ? { allowedOrigins: config.admin_gui_url } : {}) });
  await serveHttp(ctx, 'admin_gui', listen, httpServer(page.handle), 'admin_gui');
  page.start();
  // Registered last, so it runs first: open event streams end before the listener drains.
  ctx.defer(() => page.stop());
}

export function main(args: AppArgs = {}): Promise<void> {
  return runApp({ app: 'admin', ...args, start: startAdmin, resolveReference: vaultReferences() });
}

if (require.main === module) void main(parseAppArgs('admin', process.argv.slice(2)));
