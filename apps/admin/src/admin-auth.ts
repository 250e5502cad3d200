import { AdminSecrets, AuditLog, EnrollmentTokens, NodeCredentials, NodeJoins, RateLimiter, RBAC_CHANGES, RbacAuthenticator, RbacRoleEntities, RbacRoles, RbacState, RbacUsers } from '@keygate/admin-auth';
import { noAudit } from '@keygate/entities';
import type { Bus } from '@keygate/bus';
import type { Database, Queryable } from '@keygate/db';
import type { EntityChange } from '@keygate/entities';
import type { AppContext } from '@keygate/runtime';
import type { AdminAuthDeps } from './app';
import { enrolledNodeSettings } from './enrollment';
import type { ClusterRouteDeps } from './routes/cluster';

const PRUNE_EVERY_MS = 60_000;

/**
 * RBAC and the audit log of this node, keyed with `keyring_cluster_secret` (the config check
 * refuses `enforce_rbac`/`audit_log` without it). Without the secret the `/rbac` API is absent
 * too: its rows could not be signed.
 */
export async function startAdminAuth(ctx: AppContext, db: Database, bus: Bus): Promise<AdminAuthDeps | undefined> {
  const { config } = ctx;
  if (!config.keyring_cluster_secret) return undefined;
  const secrets = new AdminSecrets(config.keyring_cluster_secret);
  // Once per database: the RBAC epoch (rows of an upgraded database are signed in epoch 1).
  await new RbacState(db, secrets).initialise();
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
  const cluster = enrollment(ctx, db, secrets, audit);
  const roleEntities = new RbacRoleEntities(db, secrets);
  return { users: new RbacUsers(db, secrets), roles: new RbacRoles(db, secrets), roleEntities, authenticator, enforce: config.enforce_rbac !== 'off', audit, cluster };
}

/** Enrollment tokens, node credentials and joins: keyed, like RBAC, with the cluster secret. */
function enrollment(ctx: AppContext, db: Database, secrets: AdminSecrets, audit: AuditLog | undefined): ClusterRouteDeps {
  const logger = ctx.logger.child({ component: 'enrollment' });
  const credentials = new NodeCredentials(db, secrets);
  const trail = audit ?? noAudit;
  // The node's own admission key (derived from keyring_cluster_secret at start, which this node holds).
  const { admission } = ctx.membership;
  if (!admission?.canAdmit) throw new Error('keyring_cluster_secret is set but this node cannot admit members');
  const joins = new NodeJoins({
    credentials,
    admission,
    admissionTtlMs: ctx.config.cluster_admission_ttl,
    logger,
    onJoin: (join) => trail.record({ subject: 'cluster_credentials', operation: 'join', entityKey: join.credentialId, details: { node_id: join.nodeId, app: join.app, hostname: join.hostname } }),
  });
  return {
    tokens: new EnrollmentTokens(db, secrets, credentials),
    credentials,
    joins,
    limiters: { enroll: new RateLimiter(), join: new RateLimiter() },
    nodeSettings: (credential) => enrolledNodeSettings(ctx.loaded, credential, admission.publicKey),
    audit: trail,
    logger,
  };
}

/**
 * In an entity write's own transaction: an entity the request's RBAC user creates joins the
 * user's default role (Kong); a deleted entity's permissions go from every role.
 */
export async function trackEntityPermissions(adminAuth: AdminAuthDeps, tx: Queryable, change: EntityChange, types: () => readonly string[]): Promise<void> {
  if (change.op === 'delete') return adminAuth.roleEntities.forgetDeleted(tx, types());
  const request = adminAuth.authenticator.requests.getStore();
  if (change.op === 'create' && request?.grants.defaultRoleId) await adminAuth.roleEntities.registerOwned(tx, request.grants.defaultRoleId, change.entity, change.id);
}
