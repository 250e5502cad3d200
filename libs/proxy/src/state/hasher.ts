import { createHmac, hash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * HMAC-SHA256 under a random key made when the node starts, held only in memory (node and its
 * workers): credential indexes are keyed by it, so a heap or state dump yields neither API keys
 * nor Kong's password hashes, and nothing that can be checked offline without that key.
 */
export class CredentialHasher {
  // A Buffer, not a KeyObject: createHmac is faster with one (measured, Node 20).
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length < 32) throw new Error('the credential HMAC key must have at least 32 bytes');
    this.#key = Buffer.from(key);
  }

  static random(): { hasher: CredentialHasher; key: Buffer } {
    const key = randomBytes(32);
    return { hasher: new CredentialHasher(key), key };
  }

  digest(secret: string): string {
    return createHmac('sha256', this.#key).update(secret).digest('base64');
  }

  /**
   * Kong's basic-auth check: `hash(password + consumer id)` (SHA-1, or SHA-256 for FIPS hashes),
   * then compared with the stored digest in constant time.
   */
  verifyPassword(password: string, consumerId: string, algorithm: 'sha1' | 'sha256', digest: string): boolean {
    const computed = Buffer.from(this.digest(hash(algorithm, password + consumerId, 'hex')), 'base64');
    const expected = Buffer.from(digest, 'base64');
    return computed.length === expected.length && timingSafeEqual(computed, expected);
  }
}
