import { createHash, createHmac } from 'node:crypto';
import type { Secret } from './secret';

/** Marks a keyed lookup digest (version 1: HMAC-SHA256 under the cluster's index key). */
export const DIGEST_V1 = 'h1:';

/**
 * Deterministic digest of a secret value for uniqueness and lookup, keyed with the index key so
 * that a database reader cannot test guesses offline. The purpose (`key-auth`) and the format
 * version are inside the MAC, so the same value under two purposes gives unrelated digests.
 */
export function keyedDigest(indexKey: Secret<Buffer>, purpose: string, value: string): string {
  const mac = createHmac('sha256', indexKey.reveal()).update(`keygate:lookup-digest:v1\0${purpose}\0`).update(value, 'utf8').digest();
  return DIGEST_V1 + mac.toString('base64url');
}

/**
 * The digest written before index keys existed, and still with the keyring off (then the value
 * itself is stored in clear in the same row, so keying its digest would hide nothing).
 */
export function unkeyedDigest(purpose: string, value: string): string {
  return createHash('sha256').update(`keygate:${purpose}:${value}`).digest('hex');
}

export function isKeyedDigest(digest: string): boolean {
  return digest.startsWith(DIGEST_V1);
}
