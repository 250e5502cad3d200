import type { KeyObject } from 'node:crypto';
import { constantTimeEqual, hmacHex, rsaOaepDecrypt, rsaOaepEncrypt, rsaPkcs1v15DecryptLegacy, RsaKeyError, type Secret } from '@keygate/crypto';

/** Our recovery envelope: RSA-OAEP-SHA256 of the 32-byte key. */
export const RECOVERY_V2 = '$ker$2$';
/** Kong's: RSA PKCS#1 v1.5 (read only). */
export const RECOVERY_V1 = '$ker$1$';

export function sealForRecovery(key: Buffer, recoveryPublicKey: KeyObject): string {
  return RECOVERY_V2 + rsaOaepEncrypt(recoveryPublicKey, key).toString('base64');
}

/**
 * The MAC of a `keyring_keys` row, keyed by `keyring_cluster_secret`. Anyone can encrypt a key of
 * their own to the recovery *public* key; without this MAC such a row, written by a database
 * writer, would join the keyring at the next recovery (and values forged under it would verify).
 */
export function recoveryRowMac(secret: Secret<string>, id: string, sealed: string): string {
  return hmacHex(secret, `keygate-recovery-row:v1\n${id}\n${sealed}`);
}

export function recoveryRowAuthentic(secret: Secret<string> | undefined, row: { id: string; key_encrypted: string; mac: string | null }): boolean {
  return !!secret && typeof row.mac === 'string' && constantTimeEqual(row.mac, recoveryRowMac(secret, row.id, row.key_encrypted));
}

export function openRecovery(sealed: string, recoveryPrivateKey: KeyObject): Buffer {
  let key: Buffer;
  if (sealed.startsWith(RECOVERY_V2)) key = rsaOaepDecrypt(recoveryPrivateKey, Buffer.from(sealed.slice(RECOVERY_V2.length), 'base64'));
  else if (sealed.startsWith(RECOVERY_V1)) key = rsaPkcs1v15DecryptLegacy(recoveryPrivateKey, Buffer.from(sealed.slice(RECOVERY_V1.length), 'base64'));
  else throw new RsaKeyError('unknown recovery format');
  if (key.length !== 32) throw new RsaKeyError('recovered key is not 32 bytes');
  return key;
}
