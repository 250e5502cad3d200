import type { KeyObject } from 'node:crypto';
import { ClusterAdmission, publicKeyFingerprint } from '@keygate/crypto';
import type { ClusterStore } from './cluster-store';
import type { Logger } from '@keygate/logging';
import { rsaKeyMatching, rsaPublicKey, type IdentityClaim, type MemberIdentity } from './identity';

export interface MemberRow {
  readonly node_id: string;
  readonly app: string;
  readonly hostname: string;
  readonly public_key: string | null;
  readonly signing_key: string | null;
  readonly admission_proof: string | null;
  readonly key_ids: string[];
  readonly active_key_id: string | null;
  readonly last_seen: Date;
  readonly version?: string | null;
  readonly started_at?: Date | null;
}

/** A member whose admission proof verified. The RSA key is known once its row or request was seen. */
export interface AdmittedPeer {
  readonly nodeId: string;
  readonly app: string;
  readonly signingKey: KeyObject;
  readonly publicKey: KeyObject | undefined;
  /** When its proof stops admitting it (ms since the epoch); undefined: it does not expire. */
  readonly expiresAt: number | undefined;
}

export interface MembersOptions {
  readonly store: ClusterStore;
  readonly identity: MemberIdentity;
  readonly hostname: string;
  readonly version: string;
  readonly admission: ClusterAdmission | undefined;
  readonly logger: Logger;
  /** How often this member refreshes `last_seen` and checks its own row. */
  readonly heartbeatMs?: number;
  /** A member whose heartbeat is older than this is pruned. */
  readonly expireMs?: number;
}

type ViewState = { keyIds: string[]; active: string | undefined };

/**
 * Membership in `cluster_nodes`: this node's row (RSA and signing public keys, admission proof,
 * its keyring view, heartbeat), pruning of members whose heartbeat stopped, and lookups of
 * *admitted* peers. The proof binds node id, app and both public keys to the cluster admission key, so
 * a row edited by a database writer no longer verifies: peers ignore it (and log it once), and
 * the member whose row it is notices at its next heartbeat and registers again.
 */
export class Members {
  readonly #refusedLogged = new Set<string>();
  /** Identities verified from signed messages: no row read is needed to check their envelopes. */
  readonly #known = new Map<string, AdmittedPeer>();
  #timer: NodeJS.Timeout | undefined;
  #registeredProof: string | undefined;

  constructor(private readonly options: MembersOptions) {}

  /** This member's node id. */
  get nodeId(): string {
    return this.options.identity.nodeId;
  }

  get expireMs(): number {
    return this.options.expireMs ?? 30_000;
  }

  async register(state: ViewState): Promise<void> {
    const proof = this.options.identity.proof;
    await this.options.store.register(this.options.identity, this.options, state);
    this.#registeredProof = proof;
  }

  /** Heartbeat: refresh `last_seen` and this member's keyring view; prune the dead. */
  startHeartbeat(state: () => ViewState): void {
    this.#timer = setInterval(() => {
      void this.beat(state()).catch((err: unknown) => this.options.logger.warn({ err }, 'keyring heartbeat failed'));
    }, this.options.heartbeatMs ?? 5_000);
    this.#timer.unref();
  }

  /** Also repairs this member's row when someone changed its keys or proof (or deleted it). */
  async beat(state: ViewState): Promise<void> {
    const { store, identity } = this.options;
    const row = await store.touch(identity.nodeId, state);
    if (!row) await this.register(state);
    // An enrolled node renewed its admission: the row gets the new proof.
    else if (identity.proof !== this.#registeredProof) await this.register(state);
    else if (row.app !== identity.app || row.public_key !== identity.publicKeyPem || row.signing_key !== identity.signingKey || row.admission_proof !== (identity.proof ?? null)) {
      this.options.logger.warn(
        { node_id: identity.nodeId },
        'keyring: this node’s cluster_nodes row was altered by someone else (keys or admission proof changed); registered it again',
      );
      await this.register(state);
    }
    await store.prune(this.expireMs);
  }

  /** Records this member's keyring view (what `GET /keyring` shows under `members`). */
  async report(state: ViewState): Promise<void> {
    await this.options.store.touch(this.options.identity.nodeId, state);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.options.store.leave(this.options.identity.nodeId).catch(() => undefined);
  }

  async live(): Promise<MemberRow[]> {
    return this.options.store.live(this.expireMs);
  }

  /** Live members other than this one whose admission proof verifies. */
  async admittedPeers(): Promise<AdmittedPeer[]> {
    return (await this.live()).filter((row) => row.node_id !== this.options.identity.nodeId).flatMap((row) => this.#admitRow(row) ?? []);
  }

  /** A peer known from a verified message, else from its row (checked against its proof). */
  async admittedPeer(nodeId: string): Promise<AdmittedPeer | undefined> {
    const known = this.#known.get(nodeId);
    // Remembered only while its proof admits it: a revoked node's ends, and its row decides.
    if (known && (known.expiresAt === undefined || known.expiresAt > Date.now())) return known;
    this.#known.delete(nodeId);
    const row = await this.options.store.member(nodeId);
    return row ? this.#admitRow(row) : undefined;
  }

  /**
   * Remembers a sender the message guard verified (its claim carries an admission proof). With
   * `rsaKey` (a request), the key must be the one the proof names.
   */
  learn(claim: IdentityClaim, rsaKey?: string): AdmittedPeer | undefined {
    const signingKey = this.options.admission?.memberKey(claim);
    if (!signingKey) return undefined;
    const previous = this.#known.get(claim.node_id);
    const publicKey = rsaKey !== undefined ? rsaKeyMatching(rsaKey, claim.rsa) : previous?.publicKey;
    if (rsaKey !== undefined && !publicKey) return undefined;
    const peer = { nodeId: claim.node_id, app: claim.app, signingKey, publicKey, expiresAt: ClusterAdmission.expiresAt(claim.proof) };
    if (this.#known.size > 10_000) this.#known.clear();
    this.#known.set(claim.node_id, peer);
    return peer;
  }

  #admitRow(row: MemberRow): AdmittedPeer | undefined {
    const keys = admittedKeys(this.options.admission, row);
    if (keys) {
      this.#refusedLogged.delete(row.node_id);
      return { nodeId: row.node_id, app: row.app, ...keys };
    }
    if (!this.#refusedLogged.has(row.node_id)) {
      this.#refusedLogged.add(row.node_id);
      this.options.logger.warn(
        { peer_node_id: row.node_id, peer_app: row.app, peer_hostname: row.hostname },
        'refused keyring member: its admission proof does not verify or has expired (is keyring_cluster_secret the same on every control-plane node? was its row edited? was its node credential revoked?)',
      );
    }
    return undefined;
  }
}

/** A row's public keys (and its proof's expiry) when its admission proof verifies; undefined otherwise. */
function admittedKeys(admission: ClusterAdmission | undefined, row: MemberRow): Pick<AdmittedPeer, 'signingKey' | 'publicKey' | 'expiresAt'> | undefined {
  const publicKey = row.public_key ? rsaPublicKey(row.public_key) : undefined;
  if (!publicKey || !row.signing_key) return undefined;
  const proof = row.admission_proof ?? '';
  const signingKey = admission?.memberKey({ node_id: row.node_id, app: row.app, rsa: publicKeyFingerprint(publicKey), sig_key: row.signing_key, proof });
  return signingKey ? { signingKey, publicKey, expiresAt: ClusterAdmission.expiresAt(proof) } : undefined;
}

/** Whether a `cluster_nodes` row's admission proof verifies (read-only views). */
export function isAdmittedRow(admission: ClusterAdmission | undefined, row: MemberRow): boolean {
  return admittedKeys(admission, row) !== undefined;
}
