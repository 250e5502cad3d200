import { constants, createHash, createPrivateKey, createPublicKey, privateDecrypt, publicEncrypt, sign, verify, type KeyObject } from 'node:crypto';
import { RsaKeyError } from './errors';
import { PemSettingError, readPemSetting, type PemSource } from './pem';

export type RsaKind = 'public' | 'private';

function pemFrom(setting: string, value: string): PemSource {
  try {
    return readPemSetting(setting, value);
  } catch (err) {
    throw err instanceof PemSettingError ? new RsaKeyError(err.message) : err;
  }
}

/**
 * Reads an RSA key setting as Kong does: a file path, PEM text, or base64 of PEM. Fails naming
 * the setting and the file when the key is unreadable, not RSA, or not of the required kind.
 */
export function loadRsaKey(setting: string, value: string, kind: RsaKind): KeyObject {
  const { pem, where } = pemFrom(setting, value);
  let isPrivate = false;
  try {
    createPrivateKey(pem);
    isPrivate = true;
  } catch {
    // not a private key; maybe a public one
  }
  let key: KeyObject;
  try {
    key = kind === 'private' ? createPrivateKey(pem) : createPublicKey(pem);
  } catch (err) {
    if (kind === 'private' && !isPrivate) throw new RsaKeyError(`${setting}: ${where} must be a private key`);
    throw new RsaKeyError(`${setting}: failed to parse ${where}: ${(err as Error).message}`);
  }
  if (kind === 'public' && isPrivate) throw new RsaKeyError(`${setting}: ${where} must be a public key`);
  if (key.asymmetricKeyType !== 'rsa') throw new RsaKeyError(`${setting}: ${where} must be a RSA key`);
  return key;
}

/** Parses a PEM private key given in a request (recovery); errors do not echo the key. */
export function parsePrivateKeyPem(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    try {
      createPublicKey(pem);
    } catch {
      throw new RsaKeyError('not a PEM RSA private key');
    }
    throw new RsaKeyError('recovery needs a private key, not a public key');
  }
  if (key.asymmetricKeyType !== 'rsa') throw new RsaKeyError('not an RSA key');
  return key;
}

export function rsaOaepEncrypt(publicKey: KeyObject, data: Buffer): Buffer {
  return publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, data);
}

export function rsaOaepDecrypt(privateKey: KeyObject, data: Buffer): Buffer {
  return privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, data);
}

/**
 * RSA PKCS#1 v1.5 decryption, only to read what Kong wrote (`$ker$1$` recovery rows, Kong's
 * export blobs). Node refuses this padding for private decryption (CVE-2023-46809, the Marvin
 * timing attack); the risk applies to an online oracle, while this runs only when an operator
 * recovers or imports Kong data. Keygate never writes PKCS#1 v1.5.
 */
export function rsaPkcs1v15DecryptLegacy(privateKey: KeyObject, data: Buffer): Buffer {
  const raw = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, data);
  if (raw[0] !== 0 || raw[1] !== 2) throw new RsaKeyError('PKCS#1 v1.5 padding check failed');
  const separator = raw.indexOf(0, 2);
  if (separator < 10) throw new RsaKeyError('PKCS#1 v1.5 padding check failed');
  return raw.subarray(separator + 1);
}

/** hex(SHA-256(DER of the public key)): Kong's `recovery_key_id`, and our key fingerprints. */
export function publicKeyFingerprint(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}

/** RSA-PSS-SHA256 signature (salt = digest length). */
export function rsaSign(privateKey: KeyObject, data: Buffer | string): Buffer {
  return sign('sha256', Buffer.from(data), { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
}

export function rsaVerify(publicKey: KeyObject, data: Buffer | string, signature: Buffer): boolean {
  try {
    return verify('sha256', Buffer.from(data), { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature);
  } catch {
    return false;
  }
}
