import express, { type Express } from 'express';
import type { AuditLog, RbacAuthenticator, RbacRoleEntities, RbacRoles, RbacUsers } from '@keygate/admin-auth';
import type { LoadedConfig } from '@keygate/config';
import type { Database } from '@keygate/db';
import { collectionPath, type EntityStore } from '@keygate/entities';
import type { KeyringService } from '@keygate/keyring';
import { crossSiteGuard, errorHandler, HttpError, parseBody, rejectMalformedUrl, rejectUnstorableBody, requestContext } from '@keygate/http';
import type { Logger } from '@keygate/logging';
import type { NodeInfo } from '@keygate/runtime';
import { auditRequests, rbacGuard } from './access';
import { entityAccess, entityExists } from './entity-access';
import { auditRoutes } from './routes/audit';
import { entityRoutes } from './routes/entities';
import { infoRoutes } from './routes/info';
import { keyringRoutes } from './routes/keyring';
import { rbacRoutes } from './routes/rbac';
import { upstreamRoutes } from './routes/upstreams';
import { endpointsRoute, schemaRoutes } from './routes/schemas';
import { tagRoutes } from './routes/tags';
import { clusterRoutes, type ClusterRouteDeps } from './routes/cluster';
import type { ServerStats } from './server-stats';

export interface AdminApiDeps {
  readonly loaded: LoadedConfig;
  readonly node: NodeInfo;
  readonly db: Database;
  readonly store: EntityStore;
  readonly keyring: KeyringService;
  readonly logger: Logger;
  readonly stats: ServerStats;
  /** RBAC (`enforce_rbac`) and the audit log (`audit_log`); absent when RBAC rows cannot be keyed. */
  readonly adminAuth?: AdminAuthDeps;
}

export interface AdminAuthDeps {
  readonly users: RbacUsers;
  readonly roles: RbacRoles;
  readonly roleEntities: RbacRoleEntities;
  readonly authenticator: RbacAuthenticator;
  /** Checks every request when `enforce_rbac` is not `off`. */
  readonly enforce: boolean;
  readonly audit: AuditLog | undefined;
  /** Node enrollment (`/cluster/*`). */
  readonly cluster?: ClusterRouteDeps;
}

/** The Admin API as an express application (Kong's paths, bodies and errors). */
export function createAdminApi(deps: AdminApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(requestContext(deps.logger));
  const rbac = deps.adminAuth?.enforce ? deps.adminAuth.authenticator : undefined;
  const entityLevel = rbac && ['entity', 'both'].includes(deps.loaded.config.enforce_rbac) ? entityAccess(rbac, deps.store) : undefined;
  const entityPaths = new Set(deps.store.definitions().map((def) => collectionPath(def).toLowerCase()));
  const access = { config: deps.loaded.config, rbac, entityPaths, audit: deps.adminAuth?.audit };
  // Refused requests are recorded too, so it comes before every check.
  app.use(auditRequests(access));
  app.use((_req, res, next) => {
    const started = process.hrtime.bigint();
    const writeHead = res.writeHead;
    res.writeHead = function patched(this: typeof res, ...args: Parameters<typeof res.writeHead>) {
      res.setHeader('X-Kong-Admin-Latency', String(Math.round(Number(process.hrtime.bigint() - started) / 1e6)));
      return writeHead.apply(this, args);
    } as typeof res.writeHead;
    next();
  });
  // Before anything reads the body or a route runs: every path, nested or not, is covered.
  app.use(crossSiteGuard({ allowedOrigins: deps.loaded.config.admin_gui_url ?? [], logger: deps.logger }));
  app.use(rejectMalformedUrl());
  // Who is calling, and may they: before any body is read.
  app.use(rbacGuard(access));
  app.use(parseBody());
  app.use(rejectUnstorableBody());

  const router = express.Router({ strict: false });
  // Lists the router's paths when asked, so it includes the ones registered after it.
  endpointsRoute(router);
  infoRoutes(router, deps);
  schemaRoutes(router, deps.store);
  tagRoutes(router, deps.store);
  keyringRoutes(router, deps.keyring);
  if (deps.adminAuth) rbacRoutes(router, { ...deps.adminAuth, exists: entityExists(deps.store) });
  if (deps.adminAuth?.audit) auditRoutes(router, deps.adminAuth.audit);
  if (deps.adminAuth?.cluster) clusterRoutes(router, deps.adminAuth.cluster);
  upstreamRoutes(router, { db: deps.db, store: deps.store, nodeId: deps.node.nodeId });
  entityRoutes(router, deps.store, {
    logger: deps.logger,
    // With no key at all this node cannot read any encrypted row: a list would look empty.
    holdsKeys: () => deps.keyring.keyring.ids().length > 0,
    ...(entityLevel ? { access: entityLevel } : {}),
  });
  app.use(router);
  app.use((_req, _res, next) => next(HttpError.notFound()));
  app.use(errorHandler(deps.logger));
  return app;
}
