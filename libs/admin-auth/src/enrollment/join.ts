import { isJoinPublicKey, sealJoinAnswer, signingPublicKey, verifyJoinProof, type ClusterAdmission, type JoinAnswer, type JoinRequest } from '@keygate/crypto';
import type { Logger } from '@keygate/logging';
import type { NodeCredentials } from './credentials';
import { enrollmentBadRequest, EnrollmentError } from './errors';
import { ENROLLABLE_APPS } from './tokens';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

export interface NodeJoinsOptions {
  readonly credentials: NodeCredentials;
  /** Signs an admitted node's claim (this node holds the cluster secret); the node gets the proof, never the secret. */
  readonly admission: ClusterAdmission;
  readonly logger: Logger;
  /**
   * How long an admission this node signs lasts (`cluster_admission_ttl`); the node renews it
   * before. How long a revoked credential can outlive its revocation.
   */
  readonly admissionTtlMs: number;
  /** How far a join's timestamp may be from this node's clock. @defaultValue 300000 */
  readonly windowMs?: number;
  /** Called once a node was admitted (the audit log). */
  readonly onJoin?: (join: { credentialId: string; nodeId: string; app: string; hostname: string }) => Promise<void>;
}

/**
 * `POST /cluster/join`: a node that holds a per-node credential (and not the cluster secret)
 * proves it with an HMAC over its claim (node id, app, its ephemeral RSA key digest and Ed25519
 * key), and gets its admission sealed to the ephemeral X25519 key in that claim: the proof this
 * node signs with the admission key for exactly those keys, and the admission key's public half.
 * The cluster secret never leaves the control plane, so a leaked node configuration admits only
 * nodes that join with it, and revoking its credential stops that at their next start. The
 * credential's row must verify and not be revoked. A replayed request gives nothing away: the
 * answer opens only with the requester's private key, and its proof names the requester's keys.
 */
export class NodeJoins {
  constructor(private readonly options: NodeJoinsOptions) {}

  async join(body: unknown): Promise<JoinAnswer> {
    const request = parseRequest(body);
    if (Math.abs(Date.now() - request.ts) > (this.options.windowMs ?? 300_000)) {
      throw enrollmentBadRequest('ts: the request is too old or too far in the future (check this node’s clock)');
    }
    // The proof first (the secret is derived from the id, not read): whether a credential exists,
    // was revoked or was edited is told only to a holder of it.
    const secret = this.options.credentials.secretOf(request.credential_id);
    if (!verifyJoinProof(secret, request)) {
      this.options.logger.warn({ credential_id: request.credential_id, node_id: request.node_id, hostname: request.hostname }, 'refused a node join: the proof does not verify');
      throw new EnrollmentError('NODE_CREDENTIAL_REFUSED', `invalid proof for node credential ${request.credential_id}`);
    }
    const { row } = await this.options.credentials.admissible(request.credential_id).catch((err: unknown) => {
      if (err instanceof EnrollmentError) this.options.logger.warn({ credential_id: request.credential_id, node_id: request.node_id, app: request.app, hostname: request.hostname, reason: err.message }, 'refused a node join');
      throw err;
    });
    // A credential issued for one app (the token's `app`) admits only nodes of that app.
    if (row.app && row.app !== request.app) {
      this.options.logger.warn({ credential_id: request.credential_id, node_id: request.node_id, app: request.app, credential_app: row.app }, 'refused a node join: the credential is for another app');
      throw new EnrollmentError('NODE_CREDENTIAL_REFUSED', `node credential ${request.credential_id} admits ${row.app} nodes only, not ${request.app}`);
    }
    await this.options.credentials.recordJoin(request.credential_id, request.node_id);
    this.options.logger.info({ credential_id: request.credential_id, node_id: request.node_id, app: request.app, hostname: request.hostname }, 'admitted a node with its node credential');
    await this.options.onJoin?.({ credentialId: request.credential_id, nodeId: request.node_id, app: request.app, hostname: request.hostname });
    const { admission } = this.options;
    const claim = { node_id: request.node_id, app: request.app, rsa: request.rsa, sig_key: request.sig_key };
    const proof = admission.sign(claim, { expiresAt: Date.now() + this.options.admissionTtlMs });
    return sealJoinAnswer(secret, request, { admission_key: admission.publicKey, proof });
  }
}

function parseRequest(body: unknown): JoinRequest {
  const b = (body ?? {}) as Record<string, unknown>;
  const str = (name: string, max: number): string => {
    const v = b[name];
    if (typeof v !== 'string' || v === '' || v.length > max) throw enrollmentBadRequest(`${name}: expected a string of 1 to ${max} characters`);
    return v;
  };
  const credentialId = str('credential_id', 36).toLowerCase();
  const nodeId = str('node_id', 36).toLowerCase();
  if (!UUID.test(credentialId)) throw enrollmentBadRequest('credential_id: expected a uuid');
  if (!UUID.test(nodeId)) throw enrollmentBadRequest('node_id: expected a uuid');
  if (!isJoinPublicKey(b.public_key)) throw enrollmentBadRequest('public_key: expected a raw X25519 public key, base64url');
  if (typeof b.ts !== 'number' || !Number.isSafeInteger(b.ts)) throw enrollmentBadRequest('ts: expected milliseconds since the epoch');
  if (typeof b.rsa !== 'string' || !SHA256_HEX.test(b.rsa)) throw enrollmentBadRequest('rsa: expected the hex SHA-256 of the node’s RSA public key');
  if (typeof b.sig_key !== 'string' || !signingPublicKey(b.sig_key)) throw enrollmentBadRequest('sig_key: expected a raw Ed25519 public key, base64');
  const app = str('app', 64);
  // Control-plane nodes (admin, keyring-broker) key RBAC, audit and recovery rows with the
  // cluster secret itself: they are configured with it, never enrolled.
  if (!(ENROLLABLE_APPS as readonly string[]).includes(app)) {
    throw enrollmentBadRequest(`app: node credentials admit ${ENROLLABLE_APPS.join(' and ')} nodes; ${app} nodes hold keyring_cluster_secret and are not enrolled`);
  }
  return {
    credential_id: credentialId,
    node_id: nodeId,
    app,
    hostname: str('hostname', 255),
    rsa: b.rsa,
    sig_key: b.sig_key,
    public_key: b.public_key,
    ts: b.ts,
    nonce: str('nonce', 64),
    proof: str('proof', 128),
  };
}
