import { randomBytes } from 'node:crypto';
import type { Config } from '@keygate/config';
import { ClusterAdmission, createMembership, createNodeIdentity, joinProof, newJoinKeyPair, openJoinAnswer, parseNodeCredential, type JoinAnswer, type JoinClaim, type JoinGrant, type Membership, type NodeCredential, type NodeIdentity } from '@keygate/crypto';
import type { Logger } from '@keygate/logging';
import { retry } from '@keygate/net';
import type { NodeInfo } from './node-info';

/** The join was refused or could not be made; the node must not start. */
export class NodeJoinError extends Error {
  readonly code = 'NODE_JOIN';
}

/** A refusal from the Admin API (4xx): retrying cannot help. */
class Refused extends NodeJoinError {}

export interface JoinOptions {
  /** Per request. @defaultValue 10000 */
  readonly timeoutMs?: number;
  /** Attempts while the Admin API cannot be reached or answers 5xx. @defaultValue 5 */
  readonly attempts?: number;
}

/**
 * Makes this node's identity (ephemeral RSA and Ed25519 key pairs, in memory only) and its
 * admission:
 * - with `keyring_cluster_secret` (control-plane nodes, `cluster up`), it signs its own claim;
 * - with `cluster_node_credential` instead (an enrolled node), it proves the credential to the
 *   Admin API at `cluster_control_plane` (`POST /cluster/join`) and gets the proof for its claim
 *   and the admission key's public half, sealed to a key made for this one request. The node
 *   never holds the cluster secret: it can check every member but admit no one;
 * - with neither, it is admitted by no one and exchanges no keys.
 */
export async function admitNode(config: Config, node: NodeInfo, logger: Logger, options: JoinOptions = {}): Promise<AdmittedNode> {
  if (config.keyring_cluster_secret || !config.cluster_node_credential) {
    return { membership: await createMembership(node.nodeId, node.app, config.keyring_cluster_secret), stop: () => undefined };
  }
  const joiner = new Joiner(config, config.cluster_node_credential.reveal(), node.hostname, logger, options);
  const identity = await createNodeIdentity(node.nodeId, node.app);
  const { proof, admission } = await joiner.admit(identity);
  logger.info({ credential_id: joiner.credentialId, admission_expires_at: expiry(proof) }, 'joined the cluster with this node’s credential (admitted by the Admin API; this node does not hold the cluster secret)');
  const membership: Membership = { identity: { ...identity, proof }, admission };
  return { membership, stop: renewAdmission(joiner, membership, logger) };
}

/** A node's membership and how to stop renewing it (a no-op for nodes that admit themselves). */
export interface AdmittedNode {
  readonly membership: Membership;
  readonly stop: () => void;
}

const expiry = (proof: string) => {
  const at = ClusterAdmission.expiresAt(proof);
  return at === undefined ? undefined : new Date(at).toISOString();
};

/**
 * An enrolled node's proof expires (the Admin API signs it for a limited time): the node joins
 * again with the same keys a third of the way before the expiry, and its row and messages carry
 * the new proof from then on. A refusal (the credential was revoked) is logged once, naming when
 * the admission ends, and renewal stops; other failures are retried, within the admission's remaining
 * time while it lasts, then every 30 s.
 */
function renewAdmission(joiner: Joiner, membership: Membership, logger: Logger): () => void {
  const { identity } = membership;
  let timer: NodeJS.Timeout | undefined;
  const schedule = (delayMs: number) => {
    timer = setTimeout(() => void renew(), delayMs);
    timer.unref();
  };
  const untilRenewal = () => {
    const expiresAt = ClusterAdmission.expiresAt(identity.proof ?? '');
    return expiresAt === undefined ? undefined : Math.max(1_000, (expiresAt - Date.now()) / 3);
  };
  const renew = async () => {
    try {
      const { proof } = await joiner.admit(identity, membership.admission);
      identity.proof = proof;
      logger.info({ admission_expires_at: expiry(proof) }, 'renewed this node’s cluster admission');
    } catch (err) {
      const ends = expiry(identity.proof ?? '');
      if (err instanceof Refused) {
        logger.error({ admission_expires_at: ends, err: err.message }, `the Admin API refused to renew this node's admission; other members stop trusting it at ${ends ?? 'once'}: stop this node or give it a valid cluster_node_credential`);
        return;
      }
      // Within the admission's remaining time while it lasts; once it has ended, every 30 s (a
      // control plane that was down admits the node again when it is back).
      const ended = (ClusterAdmission.expiresAt(identity.proof ?? '') ?? Infinity) <= Date.now();
      const retryMs = ended ? 30_000 : Math.min(30_000, untilRenewal() ?? 30_000);
      logger.warn({ admission_expires_at: ends, retry_in_ms: Math.round(retryMs), err: (err as Error).message }, 'could not renew this node’s cluster admission; retrying');
      schedule(retryMs);
      return;
    }
    const next = untilRenewal();
    if (next !== undefined) schedule(next);
  };
  const first = untilRenewal();
  if (first !== undefined) schedule(first);
  return () => clearTimeout(timer);
}

/** Joins through the Admin API with this node's credential (`POST /cluster/join`). */
class Joiner {
  readonly #credential: NodeCredential;
  readonly #url: string;

  constructor(
    private readonly config: Config,
    credentialText: string,
    private readonly host: string,
    private readonly logger: Logger,
    private readonly options: JoinOptions,
  ) {
    const credential = parseNodeCredential(credentialText);
    if (!credential) throw new NodeJoinError('cluster_node_credential: expected kgn1.<id>.<secret> as printed by keygate ott-init');
    if (!config.cluster_control_plane) throw new NodeJoinError('cluster_node_credential is set but cluster_control_plane (the Admin API URL to join through) is not');
    this.#credential = credential;
    this.#url = `${config.cluster_control_plane.replace(/\/+$/, '')}/cluster/join`;
  }

  get credentialId(): string {
    return this.#credential.id;
  }

  /**
   * Joins and checks the answer before anything trusts it: its admission key must be the one
   * already trusted (a renewal), else `cluster_admission_key` when set, and it must admit this
   * node's own keys with the proof it sent.
   */
  async admit(identity: NodeIdentity, trusted?: ClusterAdmission): Promise<{ proof: string; admission: ClusterAdmission }> {
    const { config } = this;
    const grant = await this.#join(identity);
    const expected = trusted?.publicKey ?? config.cluster_admission_key;
    if (expected !== undefined && expected !== grant.admission_key) {
      throw new NodeJoinError(`the Admin API at ${config.cluster_control_plane} answered with another admission key than cluster_admission_key (another cluster, or someone in the middle): refusing it`);
    }
    const admission = trusted ?? ClusterAdmission.fromPublicKey(grant.admission_key);
    if (!admission?.admits({ ...identity.claim, proof: grant.proof })) {
      throw new NodeJoinError(`the admission from ${config.cluster_control_plane} does not verify for this node's keys: refusing it`);
    }
    return { proof: grant.proof, admission };
  }

  async #join(identity: NodeIdentity): Promise<JoinGrant> {
    const { config, options, logger } = this;
    const credential = this.#credential;
    const keys = newJoinKeyPair();
    const claim: JoinClaim = {
      credential_id: credential.id,
      node_id: identity.nodeId,
      app: identity.app,
      hostname: this.host.slice(0, 255),
      rsa: identity.fingerprint,
      sig_key: identity.signingKey,
      public_key: keys.publicKey,
      ts: Date.now(),
      nonce: randomBytes(16).toString('base64url'),
    };
    const body = JSON.stringify({ ...claim, proof: joinProof(credential.secret, claim) });
    const answer = await retry(
      async () => {
        let res: Response;
        try {
          res = await fetch(this.#url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
        } catch (err) {
          throw new NodeJoinError(`cannot reach the Admin API at ${config.cluster_control_plane} to join (${(err as Error).message})`);
        }
        const parsed = (await res.json().catch(() => ({}))) as { message?: unknown } & Partial<JoinAnswer>;
        if (res.status === 429) throw new NodeJoinError(`the Admin API at ${config.cluster_control_plane} is rate limiting joins from this address`);
        if (res.status >= 400 && res.status < 500) throw new Refused(`the Admin API at ${config.cluster_control_plane} refused this node's join: ${typeof parsed.message === 'string' ? parsed.message : `HTTP ${res.status}`}`);
        if (res.status !== 200) throw new NodeJoinError(`the Admin API at ${config.cluster_control_plane} answered the join with HTTP ${res.status}`);
        return parsed as JoinAnswer;
      },
      { attempts: options.attempts ?? 5, retryable: (err) => !(err instanceof Refused), onRetry: (err, { attempt }) => logger.warn({ attempt, err: (err as Error).message }, 'join: retrying') },
    );
    try {
      return openJoinAnswer(credential.secret, claim, keys.privateKey, answer);
    } catch {
      throw new NodeJoinError(`the answer from ${config.cluster_control_plane} does not open with this node's credential (not sealed for it): refusing it`);
    }
  }
}
