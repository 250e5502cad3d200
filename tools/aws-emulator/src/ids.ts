import { randomBytes, randomInt } from 'node:crypto';

const KEY_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function pick(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i += 1) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** Access key ids look like AWS's: a 4-letter type prefix (`AKIA`, `ASIA`) and 16 base32 characters. */
export function accessKeyId(prefix: 'AKIA' | 'ASIA'): string {
  return prefix + pick(KEY_ID_ALPHABET, 16);
}

/** Unique ids of principals (`AIDA...` users, `AROA...` roles), 21 characters like AWS's. */
export function principalId(prefix: 'AIDA' | 'AROA'): string {
  return prefix + pick(KEY_ID_ALPHABET, 17);
}

export function secretAccessKey(): string {
  return randomBytes(30).toString('base64');
}

export function sessionToken(): string {
  return randomBytes(192).toString('base64');
}

/** The 6 random characters Secrets Manager appends to a secret's name in its ARN. */
export function arnSuffix(): string {
  return pick(SUFFIX_ALPHABET, 6);
}

export function opaqueToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** `i-` and 17 hex digits, like an EC2 instance id. */
export function instanceId(): string {
  return `i-${randomBytes(9).toString('hex').slice(0, 17)}`;
}
