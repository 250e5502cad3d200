import { createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { constantTimeEqual, hmacHex, publicKeyFingerprint, type Secret } from '@keygate/crypto';

/**
 * A keyring member's identity: its node id and an RSA key pair made in memory at start, never
 * written anywhere (logged only as a fingerprint). Its admission proof, an HMAC over the node id
 * and public key keyed by `keyring_cluster_secret`, shows other members that it belongs.
 */
export interface MemberIdentity {
  readonly nodeId: string;
  readonly app: string;
  readonly publicKeyPem: string;
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
  readonly fingerprint: string;
  /** Undefined without a cluster secret: such a member exchanges no keys. */
  readonly proof: string | undefined;
}

const generate = promisify(generateKeyPair);

export function admissionProof(secret: Secret<string>, nodeId: string, publicKeyPem: string): string {
  return hmacHex(secret, `keygate-admission:v1\n${nodeId}\n${publicKeyPem}`);
}

export function isAdmitted(secret: Secret<string>, nodeId: string, publicKeyPem: string, proof: string | null | undefined): boolean {
  return typeof proof === 'string' && constantTimeEqual(proof, admissionProof(secret, nodeId, publicKeyPem));
}

export async function createIdentity(nodeId: string, app: string, secret: Secret<string> | undefined, modulusLength = 2048): Promise<MemberIdentity> {
  const { publicKey, privateKey } = await generate('rsa', { modulusLength });
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return {
    nodeId,
    app,
    publicKeyPem,
    publicKey,
    privateKey,
    fingerprint: publicKeyFingerprint(publicKey),
    proof: secret ? admissionProof(secret, nodeId, publicKeyPem) : undefined,
  };
}

export function parsePublicKey(pem: string): KeyObject | undefined {
  try {
    return createPublicKey(pem);
  } catch {
    return undefined;
  }
}
