import type { Request, Router } from 'express';
import type { EnrollmentTokens, NodeCredentials, NodeJoins, RateLimiter } from '@keygate/admin-auth';
import type { AuditTrail } from '@keygate/entities';
import type { Logger } from '@keygate/logging';
import { param, route } from './route';

export interface ClusterRouteDeps {
  readonly tokens: EnrollmentTokens;
  readonly credentials: NodeCredentials;
  readonly joins: NodeJoins;
  /** Refused attempts per client address, one budget for each unauthenticated endpoint. */
  readonly limiters: { readonly enroll: RateLimiter; readonly join: RateLimiter };
  /** The configuration a node enrolled with this token gets (database, Redis, its credential). */
  readonly nodeSettings: (credential: string) => Record<string, string>;
  readonly audit: AuditTrail;
  readonly logger: Logger;
}

const body = (req: Request): Record<string, unknown> => (req.body ?? {}) as Record<string, unknown>;
const client = (req: Request) => req.socket.remoteAddress ?? 'unknown';

/**
 * Node enrollment. RBAC-protected (and, like `/keyring`, only by a permission naming
 * `/cluster`): `/cluster/enrollment-tokens` and `/cluster/credentials`. Unauthenticated and rate
 * limited: `POST /cluster/enroll` (a one-time token for a node configuration) and
 * `POST /cluster/join` (a node credential for the cluster secret, sealed to the node).
 */
export function clusterRoutes(router: Router, deps: ClusterRouteDeps): void {
  const { tokens, credentials, audit } = deps;
  route(router, '/cluster/enrollment-tokens', {
    get: async (_req, res) => void res.json({ data: await tokens.list(), next: null }),
    post: async (req, res) => {
      const created = await tokens.create(body(req));
      await audit.record({ subject: 'cluster_enrollment_tokens', operation: 'create', entityKey: created.id, details: { app: created.app, expires_at: created.expires_at } });
      res.status(201).json(created);
    },
  });
  route(router, '/cluster/enrollment-tokens/:id', {
    get: async (req, res) => void res.json(await tokens.get(param(req, 'id'))),
    delete: async (req, res) => {
      await tokens.revoke(param(req, 'id'));
      await audit.record({ subject: 'cluster_enrollment_tokens', operation: 'revoke', entityKey: param(req, 'id') });
      res.status(204).end();
    },
  });
  route(router, '/cluster/credentials', {
    get: async (_req, res) => void res.json({ data: await credentials.list(), next: null }),
  });
  route(router, '/cluster/credentials/:id', {
    get: async (req, res) => void res.json(await credentials.get(param(req, 'id'))),
    delete: async (req, res) => {
      const revoked = await credentials.revoke(param(req, 'id'));
      deps.logger.info({ credential_id: revoked.id }, 'node credential revoked');
      await audit.record({ subject: 'cluster_credentials', operation: 'revoke', entityKey: revoked.id });
      res.status(204).end();
    },
  });
  route(router, '/cluster/enroll', {
    post: async (req, res) => {
      const b = body(req);
      const hostname = typeof b.hostname === 'string' ? b.hostname.slice(0, 255) : '';
      const enrollment = await deps.limiters.enroll.guard(client(req), () => tokens.consume(b.token, `${client(req)}${hostname ? ` (${hostname})` : ''}`));
      deps.logger.info({ token_id: enrollment.token.id, credential_id: enrollment.credentialId, app: enrollment.token.app, consumed_by: enrollment.token.consumed_by }, 'enrollment token used');
      await audit.record({ subject: 'cluster_enrollment_tokens', operation: 'enroll', entityKey: enrollment.token.id, details: { credential_id: enrollment.credentialId, consumed_by: enrollment.token.consumed_by } });
      res.status(200).json({
        credential_id: enrollment.credentialId,
        app: enrollment.token.app,
        settings: deps.nodeSettings(enrollment.credential.reveal()),
      });
    },
  });
  route(router, '/cluster/join', {
    post: async (req, res) => {
      res.status(200).json(await deps.limiters.join.guard(client(req), () => deps.joins.join(body(req))));
    },
  });
}

/** The paths a node calls before it has any Admin API credential (RBAC does not apply). */
export const UNAUTHENTICATED_CLUSTER_PATHS: ReadonlySet<string> = new Set(['/cluster/enroll', '/cluster/join']);
