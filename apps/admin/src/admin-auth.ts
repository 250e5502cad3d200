import { AdminSecrets, AuditLog, RBAC_CHANGES, RbacAuthenticator, RbacRoles, RbacUsers } from '@keygate/admin-auth';
import type { Bus } from '@keygate/bus';
import type { Database } from '@keygate/db';
import type { AppContext } from '@keygate/runtime';
import type { AdminAuthDeps } from './app';

const PRUNE_EVERY_MS = 60_000;

/**
 * RBAC and the audit log of this node, keyed with `keyring_cluster_secret` (the config check
 * refuses `enforce_rbac`/`audit_log` without it). Without the secret the `/rbac` API is absent
 * too: its rows could not be signed.
 */
export function startAdminAuth(ctx: AppContext, db: Database, bus: Bus): AdminAuthDeps | undefined {
  const { config } = ctx;
  if (!config.keyring_cluster_secret) return undefined;
  const secrets = new AdminSecrets(config.keyring_cluster_secret);
  const logger = ctx.logger.child({ component: 'admin-auth' });
  const authenticator = new RbacAuthenticator(db, secrets, logger);
  // A hint only: the tables are read on every request anyway; this drops the verified-token memo.
  const unsubscribe = bus.subscribe(RBAC_CHANGES, () => authenticator.forget());
  const unresync = bus.onResync(async () => authenticator.forget());
  ctx.defer(() => {
    unsubscribe();
    unresync();
  });
  const audit = config.audit_log ? new AuditLog({ db, secrets, logger, ttlSeconds: config.audit_log_record_ttl, ignoreTables: config.audit_log_ignore_tables ?? [] }) : undefined;
  if (audit) {
    const timer = setInterval(() => void audit.prune(), PRUNE_EVERY_MS);
    timer.unref();
    ctx.defer(() => clearInterval(timer));
  }
  return { users: new RbacUsers(db, secrets), roles: new RbacRoles(db, secrets), authenticator, enforce: config.enforce_rbac === 'on', audit };
}
