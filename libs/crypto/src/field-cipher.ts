import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { FieldIntegrityError, KeyNotAvailableError } from './errors';
import type { Secret } from './secret';

/** A keyring key: its id (8 chars, as Kong) and 32 secret bytes. */
export interface DataKey {
  readonly id: string;
  readonly key: Secret<Buffer>;
  /** Where the key was made: `kong` for keys imported from a Kong database (absent = keygate). */
  readonly origin?: 'keygate' | 'kong';
}

/** Where a field lives; bound into the ciphertext so it cannot be moved to another row or column. */
export interface FieldContext {
  readonly table: string;
  readonly field: string;
  readonly id: string;
}

export const MARKER_V1 = '$ke$1$';
export const MARKER_V2 = '$ke$2$';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export type FieldFormat = 'plaintext' | 'kong-v1' | 'keygate-v2';

export function fieldFormat(value: string): FieldFormat {
  if (value.startsWith(MARKER_V2)) return 'keygate-v2';
  if (value.startsWith(MARKER_V1)) return 'kong-v1';
  return 'plaintext';
}

/** The key id of an encrypted value (undefined for plaintext). */
export function fieldKeyId(value: string): string | undefined {
  return fieldFormat(value) === 'plaintext' ? undefined : parseValue(value)?.keyId;
}

const HEX = /^[0-9a-f]*$/;

/** `$ke$N$-<id>-<24 hex>-<hex>` split without a regex over the whole value (hot in bulk re-encryption). */
function parseValue(value: string): { version: string; keyId: string; nonceHex: string; bodyHex: string } | undefined {
  const idEnd = value.indexOf('-', 7);
  if (value[6] !== '-' || idEnd <= 7) return undefined;
  const nonceEnd = idEnd + 25;
  if (value[nonceEnd] !== '-') return undefined;
  const nonceHex = value.slice(idEnd + 1, nonceEnd);
  const bodyHex = value.slice(nonceEnd + 1);
  if (!HEX.test(nonceHex) || bodyHex.length % 2 !== 0 || !HEX.test(bodyHex)) return undefined;
  return { version: value[4] as string, keyId: value.slice(7, idEnd), nonceHex, bodyHex };
}

function aad(context: FieldContext): Buffer {
  return Buffer.from(`keygate:${context.table}.${context.field}:${context.id}`, 'utf8');
}

/**
 * `$ke$2$-<key id>-<24 hex nonce>-<hex ciphertext><hex 16-byte tag>`: AES-256-GCM with a random
 * 96-bit nonce, authenticated together with the field's table, column and row id.
 */
export function encryptField(plaintext: string, key: DataKey, context: FieldContext, nonces?: NonceSource): string {
  const nonce = nonces ? nonces.next() : randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.key.reveal(), nonce);
  cipher.setAAD(aad(context));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${MARKER_V2}-${key.id}-${nonce.toString('hex')}-${body.toString('hex')}`;
}

/**
 * Fresh random nonces drawn from one CSPRNG call (bulk re-encryption: one call per batch instead
 * of one per value). Each nonce is used once; the pool is never reused.
 */
export class NonceSource {
  #pool: Buffer;
  #offset = 0;

  constructor(private readonly batch = 1024) {
    this.#pool = randomBytes(NONCE_BYTES * batch);
  }

  next(): Buffer {
    if (this.#offset + NONCE_BYTES > this.#pool.length) {
      this.#pool = randomBytes(NONCE_BYTES * this.batch);
      this.#offset = 0;
    }
    const nonce = this.#pool.subarray(this.#offset, this.#offset + NONCE_BYTES);
    this.#offset += NONCE_BYTES;
    return nonce;
  }
}

export interface DecryptedField {
  readonly plaintext: string;
  readonly format: FieldFormat;
  readonly keyId: string | undefined;
  /** Kong's `$ke$1$` carries no tag: tampering with it cannot be detected. */
  readonly authenticated: boolean;
}

/**
 * Reads our `$ke$2$` (tag verified: any changed byte fails with `FieldIntegrityError`), Kong's
 * `$ke$1$` (GCM keystream without tag = AES-256-CTR from counter 2; reported unauthenticated), and
 * plaintext (a value written before the keyring was enabled).
 */
export function decryptField(value: string, keyFor: (id: string) => DataKey | undefined, context: FieldContext): DecryptedField {
  const format = fieldFormat(value);
  if (format === 'plaintext') return { plaintext: value, format, keyId: undefined, authenticated: false };
  const parsed = parseValue(value);
  if (!parsed) throw new FieldIntegrityError(undefined, 'malformed value');
  const { version, keyId, nonceHex, bodyHex } = parsed;
  const key = keyFor(keyId);
  if (!key) throw new KeyNotAvailableError(keyId);
  const nonce = Buffer.from(nonceHex, 'hex');
  const body = Buffer.from(bodyHex, 'hex');
  if (version === '1') {
    const decipher = createDecipheriv('aes-256-ctr', key.key.reveal(), Buffer.concat([nonce, Buffer.from([0, 0, 0, 2])]));
    const plaintext = Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    return { plaintext, format, keyId, authenticated: false };
  }
  if (body.length < TAG_BYTES) throw new FieldIntegrityError(keyId, 'value too short');
  const decipher = createDecipheriv('aes-256-gcm', key.key.reveal(), nonce);
  decipher.setAAD(aad(context));
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
  try {
    const plaintext = Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    return { plaintext, format, keyId, authenticated: true };
  } catch {
    throw new FieldIntegrityError(keyId, 'tag mismatch');
  }
}
