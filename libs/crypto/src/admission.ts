import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { Secret } from './secret';
import { deriveKey, ed25519Sign, ed25519Verify, signingPublicKey } from './signing';

/** What a member claims about itself: the text its admission proof signs. */
export interface AdmissionClaim {
  readonly node_id: string;
  readonly app: string;
  /** hex SHA-256 of the member's ephemeral RSA public key (DER). */
  readonly rsa: string;
  /** The member's raw Ed25519 public key, base64. */
  readonly sig_key: string;
}

export interface AdmittedClaim extends AdmissionClaim {
  readonly proof: string;
}

/** Whether `v` has an admitted claim's shape (five short strings); says nothing of its proof. */
export function isAdmittedClaim(v: unknown): v is AdmittedClaim {
  const c = v as Record<string, unknown> | null;
  return !!c && typeof c === 'object' && CLAIM_FIELDS.every((k) => typeof c[k] === 'string' && (c[k] as string).length <= 128);
}

const CLAIM_FIELDS = ['node_id', 'app', 'rsa', 'sig_key', 'proof'] as const;
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Verified proofs kept, so a member's messages cost one signature check, not one each. */
const CACHE_LIMIT = 4096;

const claimText = (c: AdmissionClaim, expires: string) => `keygate-admission:v3\n${c.node_id}\n${c.app}\n${c.rsa}\n${c.sig_key}\n${expires}`;
const SIGNATURE = /^[A-Za-z0-9+/]{86}==$/;
const EXPIRING = /^(\d{10,12})\.([A-Za-z0-9+/]{86}==)$/;

/** A proof's signature and expiry (seconds since the epoch; '' for none); undefined when malformed. */
function parseProof(proof: unknown): { signature: string; expires: string } | undefined {
  if (typeof proof !== 'string') return undefined;
  if (SIGNATURE.test(proof)) return { signature: proof, expires: '' };
  const m = EXPIRING.exec(proof);
  return m ? { signature: m[2]!, expires: m[1]! } : undefined;
}

/**
 * Cluster admission: `keyring_cluster_secret` derives an Ed25519 key pair, the admission key.
 * Its private half signs a member's claim (node id, app, RSA key digest, signing key); its public
 * half checks it. Nodes that hold the secret (admin, keyring-broker) sign their own claims. A node
 * that joined with a node credential holds only the public half and the proof the Admin API
 * signed for it, so it can check every member but admit none, and a leaked node configuration
 * never gives the cluster secret away. Such a proof expires (`<seconds>.<signature>`, the expiry
 * signed too) and the node renews it by joining again, so revoking its credential ends its
 * membership within that time even when the keys and proof were copied out of the process.
 */
export class ClusterAdmission {
  readonly #signer: KeyObject | undefined;
  readonly #verifier: KeyObject;
  readonly #verified = new Set<string>();
  readonly #memberKeys = new Map<string, KeyObject>();
  /** The admission key's public half, raw base64 (what an enrolled node receives). */
  readonly publicKey: string;

  private constructor(verifier: KeyObject, publicKey: string, signer?: KeyObject) {
    this.#verifier = verifier;
    this.#signer = signer;
    this.publicKey = publicKey;
  }

  static fromSecret(secret: Secret<string>): ClusterAdmission {
    const seed = deriveKey(new Secret(Buffer.from(secret.reveal(), 'utf8')), 'keygate cluster admission key v3');
    const signer = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
    seed.fill(0);
    const verifier = createPublicKey(signer);
    const raw = verifier.export({ format: 'jwk' }).x as string;
    return new ClusterAdmission(verifier, Buffer.from(raw, 'base64url').toString('base64'), signer);
  }

  /** Undefined when `publicKey` is not a raw base64 Ed25519 public key. */
  static fromPublicKey(publicKey: string): ClusterAdmission | undefined {
    const verifier = signingPublicKey(publicKey);
    return verifier ? new ClusterAdmission(verifier, publicKey) : undefined;
  }

  /** Whether this node holds the cluster secret, so it can admit (sign claims). */
  get canAdmit(): boolean {
    return this.#signer !== undefined;
  }

  /**
   * The proof of `claim`; only a holder of the cluster secret can make one. With `expiresAt`
   * (milliseconds since the epoch, rounded down to the second) it admits until then only.
   */
  sign(claim: AdmissionClaim, options: { expiresAt?: number } = {}): string {
    if (!this.#signer) throw new Error('this node does not hold keyring_cluster_secret and cannot admit members');
    const expires = options.expiresAt === undefined ? '' : String(Math.floor(options.expiresAt / 1000));
    const signature = ed25519Sign(this.#signer, claimText(claim, expires));
    return expires ? `${expires}.${signature}` : signature;
  }

  /** When a proof stops admitting (milliseconds since the epoch); undefined: it does not expire (or is malformed). */
  static expiresAt(proof: string): number | undefined {
    const expires = parseProof(proof)?.expires;
    return expires ? Number(expires) * 1000 : undefined;
  }

  /** Checks a claim's proof: no database, one Ed25519 verification per distinct admitted claim. */
  admits(claim: AdmittedClaim, now = Date.now()): boolean {
    const proof = parseProof(claim.proof);
    if (!UUID.test(claim.node_id) || !proof) return false;
    if (proof.expires && Number(proof.expires) * 1000 <= now) return false;
    const text = claimText(claim, proof.expires);
    const cacheKey = `${claim.proof}\n${text}`;
    if (this.#verified.has(cacheKey)) return true;
    if (!ed25519Verify(this.#verifier, text, proof.signature)) return false;
    if (this.#verified.size >= CACHE_LIMIT) this.#verified.clear();
    this.#verified.add(cacheKey);
    return true;
  }

  /**
   * The Ed25519 public key an admitted claim names, to check what the member signs; undefined
   * when the claim is not admitted (now). Kept per key, so a member's messages and requests
   * cost one signature check each and no key parsing.
   */
  memberKey(claim: AdmittedClaim, now = Date.now()): KeyObject | undefined {
    if (!this.admits(claim, now)) return undefined;
    let key = this.#memberKeys.get(claim.sig_key);
    if (!key) {
      key = signingPublicKey(claim.sig_key);
      if (!key) return undefined;
      // Only admitted claims get here, so the map grows with the cluster, not with an attacker.
      if (this.#memberKeys.size >= CACHE_LIMIT) this.#memberKeys.clear();
      this.#memberKeys.set(claim.sig_key, key);
    }
    return key;
  }
}
