import { createHash } from 'node:crypto';
import { constantTimeEqual, hmacHex, type Secret } from '@keygate/crypto';

/** Requests older or newer than this are refused (clock skew and replay window). */
export const MAX_SKEW_MS = 60_000;

export const HEADERS = { node: 'x-keygate-node', time: 'x-keygate-time', authorization: 'authorization' } as const;
const SCHEME = 'Keygate-HMAC';

function material(method: string, path: string, nodeId: string, time: string, body: string): string {
  const bodyHash = createHash('sha256').update(body).digest('hex');
  return ['keygate-vault-resolver-v1', method.toUpperCase(), path, nodeId, time, bodyHash].join('\n');
}

/**
 * Headers proving the caller knows the cluster secret (`keyring_cluster_secret`): an HMAC over
 * method, path, node id, time and body hash. The secret itself never travels.
 */
export function signRequest(secret: Secret<string>, request: { method: string; path: string; nodeId: string; body: string; now?: number }): Record<string, string> {
  const time = String(request.now ?? Date.now());
  return {
    [HEADERS.node]: request.nodeId,
    [HEADERS.time]: time,
    [HEADERS.authorization]: `${SCHEME} ${hmacHex(secret, material(request.method, request.path, request.nodeId, time, request.body))}`,
  };
}

export type AuthResult = { readonly ok: true; readonly nodeId: string } | { readonly ok: false; readonly reason: string };

/** Checks `signRequest`'s headers; the reason is for the log, never sent back in detail. */
export function verifyRequest(
  secret: Secret<string>,
  request: { method: string; path: string; headers: Readonly<Record<string, string | string[] | undefined>>; body: string; now?: number },
): AuthResult {
  const header = (name: string) => {
    const value = request.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const nodeId = header(HEADERS.node);
  const time = header(HEADERS.time);
  const authorization = header(HEADERS.authorization);
  if (!nodeId || !time || !authorization?.startsWith(`${SCHEME} `)) return { ok: false, reason: 'missing authentication headers' };
  if (!/^\d+$/.test(time) || Math.abs((request.now ?? Date.now()) - Number(time)) > MAX_SKEW_MS) return { ok: false, reason: 'request time outside the allowed window' };
  const expected = hmacHex(secret, material(request.method, request.path, nodeId, time, request.body));
  if (!constantTimeEqual(authorization.slice(SCHEME.length + 1), expected)) return { ok: false, reason: 'signature does not match (wrong keyring_cluster_secret?)' };
  return { ok: true, nodeId };
}
