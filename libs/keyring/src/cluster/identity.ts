import { createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { constantTimeEqual, hmacHex, newSigningKeyPair, publicKeyFingerprint, type Secret } from '@keygate/crypto';

/**
 * A keyring member's identity, made in memory at start and never written anywhere: an RSA key
 * pair (keys are wrapped to its public half) and an Ed25519 key pair (it signs every message and
 * envelope this member sends). Its admission proof, an HMAC keyed by `keyring_cluster_secret`
 * over the node id, app, RSA key digest and signing key, shows other members that it belongs:
 * whoever lacks the secret can neither make a proof nor alter a member's row without breaking it.
 */
export interface MemberIdentity {
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
  /** Undefined without a cluster secret: such a member exchanges no keys. */
  readonly proof: string | undefined;
}

/** What any member can check about another from its claims alone (a message or a row). */
export interface IdentityClaim {
  readonly node_id: string;
  readonly app: string;
  /** hex SHA-256 of the RSA public key's DER. */
  readonly rsa: string;
  /** Raw Ed25519 public key, base64. */
  readonly sig_key: string;
  readonly proof: string;
}

const generate = promisify(generateKeyPair);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function admissionProof(secret: Secret<string>, claim: Omit<IdentityClaim, 'proof'>): string {
  return hmacHex(secret, `keygate-admission:v2\n${claim.node_id}\n${claim.app}\n${claim.rsa}\n${claim.sig_key}`);
}

/** Checks a claim against the cluster secret: constant time, no database, no public-key work. */
export function isAdmitted(secret: Secret<string>, claim: IdentityClaim): boolean {
  return UUID.test(claim.node_id) && typeof claim.proof === 'string' && constantTimeEqual(claim.proof, admissionProof(secret, claim));
}

export function claimOf(identity: MemberIdentity): IdentityClaim {
  return { node_id: identity.nodeId, app: identity.app, rsa: identity.fingerprint, sig_key: identity.signingKey, proof: identity.proof ?? '' };
}

export async function createIdentity(nodeId: string, app: string, secret: Secret<string> | undefined, modulusLength = 2048): Promise<MemberIdentity> {
  const { publicKey, privateKey } = await generate('rsa', { modulusLength });
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const signing = newSigningKeyPair();
  const fingerprint = publicKeyFingerprint(publicKey);
  const claim = { node_id: nodeId, app, rsa: fingerprint, sig_key: signing.publicKey };
  return {
    nodeId,
    app,
    publicKeyPem,
    publicKey,
    privateKey,
    fingerprint,
    signingKey: signing.publicKey,
    signingPrivateKey: signing.privateKey,
    proof: secret ? admissionProof(secret, claim) : undefined,
  };
}

/** The RSA public key of a PEM or base64 DER (SPKI) text; undefined when it is not one. */
export function rsaPublicKey(text: string): KeyObject | undefined {
  try {
    const key = text.includes('-----BEGIN') ? createPublicKey(text) : createPublicKey({ key: Buffer.from(text, 'base64'), format: 'der', type: 'spki' });
    return key.asymmetricKeyType === 'rsa' ? key : undefined;
  } catch {
    return undefined;
  }
}

/** The RSA public key of `text` if its fingerprint is `fingerprint` (what an admission proof names). */
export function rsaKeyMatching(text: string, fingerprint: string): KeyObject | undefined {
  const key = rsaPublicKey(text);
  return key && publicKeyFingerprint(key) === fingerprint ? key : undefined;
}
