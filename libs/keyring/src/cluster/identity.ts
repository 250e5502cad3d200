import { createPublicKey, type KeyObject } from 'node:crypto';
import { publicKeyFingerprint, type AdmittedClaim } from '@keygate/crypto';

export { createMembership, type MemberIdentity, type Membership } from '@keygate/crypto';

/*
 * A keyring member is the node's identity (an ephemeral RSA key pair keys are wrapped to, an
 * Ed25519 key pair that signs what it sends) with its admission proof: an Ed25519 signature by the
 * cluster admission key over node id, app, RSA key digest and signing key (`ClusterAdmission`).
 * Whoever lacks the cluster secret can neither make a proof nor alter a member's row unnoticed.
 */

/** What any member can check about another from its claims alone (a message or a row). */
export type IdentityClaim = AdmittedClaim;

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
