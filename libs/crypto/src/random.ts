import { randomBytes, randomInt } from 'node:crypto';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `length` characters of `[A-Za-z0-9]` from the CSPRNG, uniformly (no modulo bias). */
export function randomAlphanumeric(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return out;
}

/** A keyring key id as Kong makes them: 8 random `[A-Za-z0-9]`, unrelated to the key. */
export function newKeyId(): string {
  return randomAlphanumeric(8);
}

/** 32 random bytes: an AES-256 key. */
export function newDataKey(): Buffer {
  return randomBytes(32);
}
