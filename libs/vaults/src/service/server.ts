import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClusterAdmission } from '@keygate/crypto';
import type { Logger } from '@keygate/logging';
import { BodyTooLargeError, readBody } from '@keygate/net';
import { VaultError } from '../errors';
import { LogOnce } from '../log-once';
import type { Resolution } from '../resolver';
import { verifyRequest } from '../remote/auth';
import { HEALTH_PATH, MAX_BODY_BYTES, MAX_REFERENCES_PER_REQUEST, RESOLVE_PATH, type HealthResponse, type ResolveResult } from '../remote/protocol';

export interface ResolverApiOptions {
  readonly resolve: (reference: string) => Promise<Resolution>;
  /** Checks callers' admission proofs (this node's membership); without it every request is refused. */
  readonly admission: ClusterAdmission | undefined;
  readonly logger: Logger;
  /** After each successful resolution (the app schedules its refresh job). */
  readonly onResolved?: (reference: string, resolution: Resolution) => void;
  /** Serves `GET /v1/health` (signed) when given: the references asked for and their state, never values. */
  readonly health?: () => HealthResponse;
  readonly now?: () => number;
}

/**
 * The vault-resolver's HTTP API: `POST /v1/resolve` with `{"references": [...]}` answers each
 * reference with its value or its error; `GET /v1/health` reports each reference's state. Every request must be signed by an admitted
 * member (`signRequest`); the values travel only to nodes whose admission proof verifies.
 */
export function resolverApi(options: ResolverApiOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const refusals = new LogOnce(60_000, options.now);
  return (req, res) => {
    void handle(req, res).catch((err: unknown) => {
      options.logger.error({ err }, 'vault-resolver API failed');
      if (!res.headersSent) send(res, 500, { message: 'An unexpected error occurred' });
    });
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] as string;
    const method = path === HEALTH_PATH && options.health ? 'GET' : path === RESOLVE_PATH ? 'POST' : undefined;
    if (!method) return send(res, 404, { message: 'Not found' });
    if (req.method !== method) return send(res, 405, { message: 'Method not allowed' });
    let body: string;
    try {
      body = (await readBody(req, { limit: MAX_BODY_BYTES, overflow: 'destroy' })).toString('utf8');
    } catch (err) {
      if (err instanceof BodyTooLargeError) return send(res, 413, { message: err.message });
      throw err;
    }
    if (!options.admission) return send(res, 503, { message: 'the vault-resolver is not admitted to the cluster (keyring_cluster_secret or cluster_node_credential is not set); it cannot authenticate nodes' });
    const auth = verifyRequest(options.admission, { method, path, headers: req.headers, body, now: (options.now ?? Date.now)() });
    if (!auth.ok) {
      const from = `${req.socket.remoteAddress ?? '?'}`;
      if (refusals.allow(from)) options.logger.warn({ from, reason: auth.reason }, 'refused a vault-resolver request');
      return send(res, 401, { message: 'Unauthorized' });
    }
    if (method === 'GET') return send(res, 200, options.health!());
    let references: unknown;
    try {
      references = (JSON.parse(body) as { references?: unknown }).references;
    } catch {
      return send(res, 400, { message: 'body must be JSON: {"references": ["{vault://...}", ...]}' });
    }
    if (!Array.isArray(references) || references.some((r) => typeof r !== 'string') || references.length > MAX_REFERENCES_PER_REQUEST) {
      return send(res, 400, { message: `references must be an array of at most ${MAX_REFERENCES_PER_REQUEST} strings` });
    }
    const unique = [...new Set(references as string[])];
    const results: Record<string, ResolveResult> = {};
    await Promise.all(
      unique.map(async (reference) => {
        try {
          const resolution = await options.resolve(reference);
          results[reference] = { value: resolution.value.reveal(), stale: resolution.stale, expires_at: resolution.expiresAt ?? null };
          options.onResolved?.(reference, resolution);
        } catch (err) {
          const code = err instanceof VaultError ? err.code : 'VAULT_BACKEND';
          results[reference] = { error: { code, message: (err as Error).message } };
        }
      }),
    );
    send(res, 200, { results });
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}
