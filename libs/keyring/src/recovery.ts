import type { KeyObject } from 'node:crypto';
import { rsaOaepDecrypt, rsaOaepEncrypt, rsaPkcs1v15DecryptLegacy, RsaKeyError } from '@keygate/crypto';

/** Our recovery envelope: RSA-OAEP-SHA256 of the 32-byte key. */
export const RECOVERY_V2 = '$ker$2$';
/** Kong's: RSA PKCS#1 v1.5 (read only). */
export const RECOVERY_V1 = '$ker$1$';

export function sealForRecovery(key: Buffer, recoveryPublicKey: KeyObject): string {
  return RECOVERY_V2 + rsaOaepEncrypt(recoveryPublicKey, key).toString('base64');
}

export function openRecovery(sealed: string, recoveryPrivateKey: KeyObject): Buffer {
  let key: Buffer;
  if (sealed.startsWith(RECOVERY_V2)) key = rsaOaepDecrypt(recoveryPrivateKey, Buffer.from(sealed.slice(RECOVERY_V2.length), 'base64'));
  else if (sealed.startsWith(RECOVERY_V1)) key = rsaPkcs1v15DecryptLegacy(recoveryPrivateKey, Buffer.from(sealed.slice(RECOVERY_V1.length), 'base64'));
  else throw new RsaKeyError('unknown recovery format');
  if (key.length !== 32) throw new RsaKeyError('recovered key is not 32 bytes');
  return key;
}
