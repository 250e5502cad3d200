import { generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { ClusterAdmission, type AdmissionClaim, type AdmittedClaim } from './admission';
import type { Secret } from './secret';
import { publicKeyFingerprint } from './rsa';
import { newSigningKeyPair } from './signing';

/**
 * A node's identity, made in memory at start and never written anywhere: an RSA key pair (keyring
 * keys are wrapped to its public half) and an Ed25519 key pair (it signs every message, envelope
 * and vault-resolver request the node sends). What an admission proof signs is `claim`.
 */
export interface NodeIdentity {
  readonly nodeId: string;
  readonly app: string;
  readonly publicKeyPem: string;
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
  /** hex SHA-256 of the RSA public key's DER (logged; bound into the proof). */
  readonly fingerprint: string;
  /** Raw Ed25519 public key, base64. */
  readonly signingKey: string;
  readonly signingPrivateKey: KeyObject;
  readonly claim: AdmissionClaim;
}

/** A node identity with its admission proof: a member of the cluster. */
export interface MemberIdentity extends NodeIdentity {
  /**
   * Undefined when no one admitted the node (no cluster secret, no join): it exchanges no keys.
   * An enrolled node's proof expires; its renewal replaces it here, where every reader looks.
   */
  proof: string | undefined;
}

/** How a node is admitted and checks others: its identity with proof, and the admission key. */
export interface Membership {
  readonly identity: MemberIdentity;
  /** Undefined without a cluster secret or a join: such a node admits no one and trusts no one. */
  readonly admission: ClusterAdmission | undefined;
}

const generate = promisify(generateKeyPair);

/** A member's claim with its current proof (empty when not admitted): what it sends to be checked. */
export function admittedClaim(identity: MemberIdentity): AdmittedClaim {
  return { ...identity.claim, proof: identity.proof ?? '' };
}

export async function createNodeIdentity(nodeId: string, app: string, modulusLength = 2048): Promise<NodeIdentity> {
  const { publicKey, privateKey } = await generate('rsa', { modulusLength });
  const signing = newSigningKeyPair();
  const fingerprint = publicKeyFingerprint(publicKey);
  return {
    nodeId,
    app,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    publicKey,
    privateKey,
    fingerprint,
    signingKey: signing.publicKey,
    signingPrivateKey: signing.privateKey,
    claim: { node_id: nodeId, app, rsa: fingerprint, sig_key: signing.publicKey },
  };
}

/** A member that admits itself with the cluster secret (nodes that hold it, tests). */
export async function createMembership(nodeId: string, app: string, secret: Secret<string> | undefined, modulusLength = 2048): Promise<Membership> {
  const identity = await createNodeIdentity(nodeId, app, modulusLength);
  const admission = secret ? ClusterAdmission.fromSecret(secret) : undefined;
  return { identity: { ...identity, proof: admission?.sign(identity.claim) }, admission };
}
