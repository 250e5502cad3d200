import { startKeyring, startKeyringJobs } from '@keygate/keyring';
import { startBus, openDatabases, runApp, type AppContext, parseAppArgs, type AppArgs } from '@keygate/runtime';
import { vaultReferences } from '@keygate/vaults';

/**
 * Composition root of the keyring broker: a long-lived keyring member whose job is to hold the
 * keyring and answer other members' requests, so proxies can come and go. Its status shows the
 * keyring (ids only). It also runs the keyring's jobs: re-encryption after each activation, and
 * scheduled rotation (`keyring_rotation_interval`).
 */
export async function startKeyringBroker(ctx: AppContext): Promise<void> {
  const databases = await openDatabases(ctx);
  const bus = await startBus(ctx, databases.rw);
  const keyring = await startKeyring(ctx, databases.rw, { bus, migrateDigests: true });
  await startKeyringJobs(ctx, keyring, databases.rw, bus);
}

export function main(args: AppArgs = {}): Promise<void> {
  return runApp({ app: 'keyring-broker', ...args, start: startKeyringBroker, resolveReference: vaultReferences() });
}

if (require.main === module) void main(parseAppArgs('keyring-broker', process.argv.slice(2)));
