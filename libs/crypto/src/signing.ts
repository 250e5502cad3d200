import { createHmac, createPublicKey, generateKeyPairSync, hkdfSync, sign, verify, type KeyObject } from 'node:crypto';
import type { Secret } from './secret';

/**
 * Ed25519 identity signatures: a few tens of microseconds to sign or verify, against about a
 * millisecond for an RSA-2048 signature, so every control message and envelope can carry one.
 */
export interface SigningKeyPair {
  readonly privateKey: KeyObject;
  /** The raw 32-byte public key, base64 (what travels in messages and rows). */
  readonly publicKey: string;
}

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function newSigningKeyPair(): SigningKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ type: 'spki', format: 'der' }).subarray(ED25519_SPKI_PREFIX.length);
  return { privateKey, publicKey: raw.toString('base64') };
}

/** The key object of a raw base64 Ed25519 public key; undefined when it is not one. */
export function signingPublicKey(base64: string): KeyObject | undefined {
  const raw = Buffer.from(base64, 'base64');
  if (raw.length !== 32 || raw.toString('base64') !== base64) return undefined;
  try {
    return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
}

export function ed25519Sign(privateKey: KeyObject, data: string | Buffer): string {
  return sign(null, Buffer.from(data), privateKey).toString('base64');
}

export function ed25519Verify(publicKey: KeyObject, data: string | Buffer, signature: string): boolean {
  const sig = Buffer.from(signature, 'base64');
  if (sig.length !== 64) return false;
  try {
    return verify(null, Buffer.from(data), publicKey, sig);
  } catch {
    return false;
  }
}

/** A subkey for one purpose (HKDF-SHA256), so one secret never serves two jobs directly. */
export function deriveKey(secret: Secret<Buffer>, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret.reveal(), Buffer.alloc(0), purpose, 32));
}

/** HMAC-SHA256 under a raw key, base64url. */
export function hmacBase64(key: Buffer, data: string): string {
  return createHmac('sha256', key).update(data).digest('base64url');
}
