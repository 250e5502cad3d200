import { createHash, type KeyObject } from 'node:crypto';
import { admittedClaim, ed25519Sign, ed25519Verify, isAdmittedClaim, type AdmittedClaim, type ClusterAdmission, type Membership } from '@keygate/crypto';

/** Requests older or newer than this are refused (clock skew and replay window). */
export const MAX_SKEW_MS = 60_000;

export const HEADERS = { member: 'x-keygate-member', time: 'x-keygate-time', authorization: 'authorization' } as const;
const SCHEME = 'Keygate-Ed25519';
/** A member header is a small JSON claim; anything longer is refused unread. */
const MAX_MEMBER_HEADER = 1024;

/** What signs a request: an admitted node's claim (with its proof) and its Ed25519 private key. */
export interface RequestSigner {
  readonly claim: AdmittedClaim;
  readonly signingPrivateKey: KeyObject;
}

function material(method: string, path: string, nodeId: string, time: string, body: string): string {
  const bodyHash = createHash('sha256').update(body).digest('hex');
  return ['keygate-vault-resolver-v2', method.toUpperCase(), path, nodeId, time, bodyHash].join('\n');
}

/**
 * Headers proving the caller is an admitted member: its claim (node id, app, keys, and the
 * admission proof signed with the cluster admission key) and an Ed25519 signature by the claim's
 * key over method, path, node id, time and body hash (the node id is the claim's). Nodes that joined with a node credential
 * sign exactly as nodes holding the cluster secret do; no shared secret is involved.
 */
export function signRequest(signer: RequestSigner, request: { method: string; path: string; body: string; now?: number }): Record<string, string> {
  const time = String(request.now ?? Date.now());
  const nodeId = signer.claim.node_id;
  return {
    [HEADERS.member]: Buffer.from(JSON.stringify(signer.claim)).toString('base64url'),
    [HEADERS.time]: time,
    [HEADERS.authorization]: `${SCHEME} ${ed25519Sign(signer.signingPrivateKey, material(request.method, request.path, nodeId, time, request.body))}`,
  };
}

export type AuthResult = { readonly ok: true; readonly nodeId: string; readonly app: string } | { readonly ok: false; readonly reason: string };

function parseClaim(header: string): AdmittedClaim | undefined {
  if (header.length > MAX_MEMBER_HEADER) return undefined;
  try {
    const c = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as unknown;
    return isAdmittedClaim(c) ? { node_id: c.node_id, app: c.app, rsa: c.rsa, sig_key: c.sig_key, proof: c.proof } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks `signRequest`'s headers, cheapest first: shape, time window, admission (cached per
 * member), then the request signature. The reason is for the log, never sent back in detail.
 */
export function verifyRequest(
  admission: ClusterAdmission,
  request: { method: string; path: string; headers: Readonly<Record<string, string | string[] | undefined>>; body: string; now?: number },
): AuthResult {
  const header = (name: string) => {
    const value = request.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const member = header(HEADERS.member);
  const time = header(HEADERS.time);
  const authorization = header(HEADERS.authorization);
  if (!member || !time || !authorization?.startsWith(`${SCHEME} `)) return { ok: false, reason: 'missing authentication headers' };
  if (!/^\d+$/.test(time) || Math.abs((request.now ?? Date.now()) - Number(time)) > MAX_SKEW_MS) return { ok: false, reason: 'request time outside the allowed window' };
  const claim = parseClaim(member);
  if (!claim) return { ok: false, reason: 'malformed member claim' };
  const key = admission.memberKey(claim);
  if (!key) return { ok: false, reason: 'not an admitted member (admission proof does not verify: another cluster, or forged)' };
  if (!ed25519Verify(key, material(request.method, request.path, claim.node_id, time, request.body), authorization.slice(SCHEME.length + 1))) {
    return { ok: false, reason: 'signature does not match' };
  }
  return { ok: true, nodeId: claim.node_id, app: claim.app };
}

/** The request signer of an admitted node; undefined when nothing admitted it. */
export function memberSigner(membership: Membership): RequestSigner | undefined {
  const { identity } = membership;
  if (!identity.proof) return undefined;
  return {
    // Read at each request: an enrolled node's proof is renewed in place.
    get claim() {
      return admittedClaim(identity);
    },
    signingPrivateKey: identity.signingPrivateKey,
  };
}
