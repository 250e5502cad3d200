import { createServer } from 'node:http';
import { EntityStore, PluginRegistry } from '@keygate/entities';
import { startKeyring } from '@keygate/keyring';
import { startBus, openDatabases, runApp, serveHttp, type AppContext, parseAppArgs, type AppArgs } from '@keygate/runtime';
import { vaultReferences } from '@keygate/vaults';
import { startVaultResolverService } from '@keygate/vaults/service';

/**
 * Composition root of the vault resolver: the cluster's cache for `{vault://...}` references
 * found in entities. Other nodes ask it over an internal API on `vault_resolver_listen`
 * (signed with `keyring_cluster_secret`); it is a keyring member so it can read the encrypted
 * secrets of `/vaults` entities; it refreshes references with a TTL as BullMQ jobs and
 * announces new values on the bus. `GET /status` shows what it caches (never values).
 */
export async function startVaultResolver(ctx: AppContext): Promise<void> {
  const databases = await openDatabases(ctx);
  const bus = await startBus(ctx, databases.rw);
  const keyring = await startKeyring(ctx, databases.rw, { bus });
  const store = new EntityStore(databases.ro, new PluginRegistry(ctx.config.plugins), keyring.protector);
  const service = await startVaultResolverService(ctx, { bus, vaults: store.dao('vaults'), db: databases.ro });
  await serveHttp(ctx, 'vault-resolver', ctx.config.vault_resolver_listen, () => createServer(service.handler));
}

export function main(args: AppArgs = {}): Promise<void> {
  return runApp({ app: 'vault-resolver', ...args, start: startVaultResolver, resolveReference: vaultReferences() });
}

if (require.main === module) void main(parseAppArgs('vault-resolver', process.argv.slice(2)));
