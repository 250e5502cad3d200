import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { EXPLICIT_ONLY, pathSegments, type AuditContext, type AuditLog, type RbacAuthenticator } from '@keygate/admin-auth';
import type { Config } from '@keygate/config';
import { UNAUTHENTICATED_CLUSTER_PATHS } from './routes/cluster';

export interface AccessOptions {
  readonly config: Config;
  /** Present when `enforce_rbac` is not `off`. */
  readonly rbac: RbacAuthenticator | undefined;
  /**
   * First path segments of the entity collections (`services`, `basic-auths`...). With
   * `enforce_rbac = entity` these are checked per entity instead of per endpoint; every other
   * path (keyring, vaults, RBAC, audit...) keeps its endpoint check.
   */
  readonly entityPaths?: ReadonlySet<string>;
  /** Present when `audit_log = on`. */
  readonly audit: AuditLog | undefined;
}

/** Kong: `/` needs a valid token but no endpoint permission. */
const ENDPOINT_CHECK_SKIPPED = new Set(['/']);

/**
 * First on every request: opens the audit context (request id, later the user) that entity and
 * keyring records pick up, and records the request once answered, refused ones included.
 */
export function auditRequests(options: AccessOptions): RequestHandler {
  const { audit, config } = options;
  const ignoredMethods = new Set((config.audit_log_ignore_methods ?? []).map((m) => m.toUpperCase()));
  const ignoredPaths = (config.audit_log_ignore_paths ?? []).map((p) => new RegExp(p));
  return (req: Request, res: Response, next: NextFunction) => {
    if (!audit) return next();
    const context: AuditContext = { requestId: req.requestId };
    res.on('finish', () => {
      if (ignoredMethods.has(req.method) || ignoredPaths.some((p) => p.test(req.originalUrl))) return;
      // The path without its query: a query string may carry values; ids are in the path.
      void audit.recordRequest({
        requestId: req.requestId,
        clientIp: req.socket.remoteAddress,
        method: req.method,
        path: req.path,
        status: res.statusCode,
        userId: context.userId,
        userName: context.userName,
        requestSource: typeof req.headers['x-request-source'] === 'string' ? req.headers['x-request-source'].slice(0, 64) : undefined,
      });
    });
    audit.context.run(context, () => next());
  };
}

/** With `enforce_rbac = entity`, whether a path is checked per entity (not per endpoint). */
function checkedPerEntity(options: AccessOptions, path: string): boolean {
  if (options.config.enforce_rbac !== 'entity') return false;
  const [first] = pathSegments(path);
  return first !== undefined && options.entityPaths?.has(first) === true && !(EXPLICIT_ONLY as readonly string[]).includes(first);
}

/**
 * `enforce_rbac`: the token in `rbac_auth_header` must belong to an enabled user, and (`on`,
 * `both`, and paths outside the entity collections under `entity`) one of the user's roles must
 * allow the endpoint and action. Runs before the body is read. The user and their grants, read
 * once, stay with the request for the entity checks.
 */
export function rbacGuard(options: AccessOptions): RequestHandler {
  const { rbac, audit, config } = options;
  const header = config.rbac_auth_header.toLowerCase();
  return (req: Request, _res: Response, next: NextFunction) => {
    // A node enrolling or joining has no Admin API token: the token or credential it sends is its proof.
    if (!rbac || UNAUTHENTICATED_CLUSTER_PATHS.has(req.path)) return next();
    void (async () => {
      const raw = req.headers[header];
      const user = await rbac.authenticate(typeof raw === 'string' ? raw : undefined);
      const context = audit?.context.getStore();
      if (context) {
        context.userId = user.id;
        context.userName = user.name;
      }
      req.adminUser = user;
      const grants = await rbac.grantsOf(user);
      if (!ENDPOINT_CHECK_SKIPPED.has(req.path) && !checkedPerEntity(options, req.path)) await rbac.authorize(user, req.method, req.path, grants);
      return grants;
    })().then((grants) => rbac.requests.run({ user: req.adminUser!, grants }, () => next()), next);
  };
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The RBAC user of this request (`enforce_rbac` not `off`). */
      adminUser?: { readonly id: string; readonly name: string };
    }
  }
}
