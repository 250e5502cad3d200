import { AdminSecrets, AuditLog } from '@keygate/admin-auth';
import { startKeyring, startKeyringJobs } from '@keygate/keyring';
import { startBus, openDatabases, runApp, type AppContext, parseAppArgs, type AppArgs } from '@keygate/runtime';
import { vaultReferences } from '@keygate/vaults';

/**
 * Composition root of the keyring broker: a long-lived keyring member whose job is to hold the
 * keyring and answer other members' requests, so proxies can come and go. Its status shows the
 * keyring (ids only). It also runs the keyring's jobs: re-encryption after each activation, and
 * scheduled rotation (`keyring_rotation_interval`), recorded in the audit log with `audit_log = on`.
 */
export async function startKeyringBroker(ctx: AppContext): Promise<void> {
  const databases = await openDatabases(ctx);
  const bus = await startBus(ctx, databases.rw);
  // Rotations, re-encryption runs and retired-key removals happen here: recorded like the Admin API's.
  const { config } = ctx;
  const audit =
    config.audit_log && config.keyring_cluster_secret
      ? new AuditLog({ db: databases.rw, secrets: new AdminSecrets(config.keyring_cluster_secret), logger: ctx.logger.child({ component: 'audit' }), ttlSeconds: config.audit_log_record_ttl })
      : undefined;
  const keyring = await startKeyring(ctx, databases.rw, { bus, migrateDigests: true, ...(audit ? { audit } : {}) });
  await startKeyringJobs(ctx, keyring, databases.rw, bus);
}

export function main(args: AppArgs = {}): Promise<void> {
  return runApp({ app: 'keyring-broker', ...args, start: startKeyringBroker, resolveReference: vaultReferences() });
}

if (require.main === module) void main(parseAppArgs('keyring-broker', process.argv.slice(2)));
