import { createCipheriv, createDecipheriv, randomBytes, type KeyObject } from 'node:crypto';
import { keyOrigin, rsaOaepDecrypt, rsaOaepEncrypt, rsaPkcs1v15DecryptLegacy, Secret, type DataKey, type KeyOrigin } from '@keygate/crypto';

/**
 * The `/keyring/export` blob: base64 of JSON `{k, n, d}`, `k` = a random AES-256 key wrapped with
 * `keyring_public_key`, `n` = nonce, `d` = the keyring JSON `{"keys":{id: base64 key},"active":id}`.
 *
 * Kong wraps with RSA PKCS#1 v1.5 and encrypts `d` with AES-GCM without keeping the tag, so a
 * changed blob imports garbage keys. Ours (`"v":2`) wraps with RSA-OAEP-SHA256 and appends the GCM
 * tag, so import refuses any change. Both are read; only ours is written.
 *
 * Ours also carries each key's origin (`"origins":{id: "keygate"|"kong"}`; absent = keygate), so
 * a key imported from Kong keeps reading `$ke$1$` after an export/import or a restart from the
 * blob file. Every key of a Kong blob is a Kong key.
 */
interface BlobJson {
  v?: number;
  k: string;
  n: string;
  d: string;
}

export interface KeyringContents {
  readonly keys: DataKey[];
  readonly active: string | undefined;
  readonly format: 'keygate-v2' | 'kong';
}

export function exportKeyring(keys: readonly DataKey[], active: string | undefined, publicKey: KeyObject): string {
  const aesKey = randomBytes(32);
  const nonce = randomBytes(12);
  const plain = JSON.stringify({
    keys: Object.fromEntries(keys.map((k) => [k.id, k.key.reveal().toString('base64')])),
    origins: Object.fromEntries(keys.map((k) => [k.id, keyOrigin(k)])),
    ...(active ? { active } : {}),
  });
  const cipher = createCipheriv('aes-256-gcm', aesKey, nonce);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  const blob: BlobJson = { v: 2, k: rsaOaepEncrypt(publicKey, aesKey).toString('base64'), n: nonce.toString('base64'), d: body.toString('base64') };
  return Buffer.from(JSON.stringify(blob)).toString('base64');
}

export class BlobError extends Error {
  readonly code = 'KEYRING_BAD_REQUEST';
}

export function importKeyring(data: string, privateKey: KeyObject): KeyringContents {
  let blob: BlobJson;
  try {
    blob = JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as BlobJson;
  } catch {
    throw new BlobError('data is not a keyring export (expected the base64 text POST /keyring/export returned)');
  }
  if (typeof blob?.k !== 'string' || typeof blob.n !== 'string' || typeof blob.d !== 'string') {
    throw new BlobError('data is not a keyring export (missing k, n or d)');
  }
  const ours = blob.v === 2;
  let plain: string;
  try {
    const wrapped = Buffer.from(blob.k, 'base64');
    const aesKey = ours ? rsaOaepDecrypt(privateKey, wrapped) : rsaPkcs1v15DecryptLegacy(privateKey, wrapped);
    const body = Buffer.from(blob.d, 'base64');
    const nonce = Buffer.from(blob.n, 'base64');
    if (ours) {
      const decipher = createDecipheriv('aes-256-gcm', aesKey, nonce);
      decipher.setAuthTag(body.subarray(body.length - 16));
      plain = Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString('utf8');
    } else {
      // Kong: GCM keystream without tag (= CTR from counter 2).
      const decipher = createDecipheriv('aes-256-ctr', aesKey, Buffer.concat([nonce, Buffer.from([0, 0, 0, 2])]));
      plain = Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    }
  } catch {
    throw new BlobError('cannot decrypt the keyring export with keyring_private_key (another key pair, or the data was changed)');
  }
  let parsed: { keys?: Record<string, string>; active?: string; origins?: Record<string, unknown> };
  try {
    parsed = JSON.parse(plain) as typeof parsed;
  } catch {
    throw new BlobError('cannot decrypt the keyring export with keyring_private_key (another key pair, or the data was changed)');
  }
  const origin = (id: string): KeyOrigin => {
    if (!ours) return 'kong';
    const value = parsed.origins?.[id] ?? 'keygate';
    if (value !== 'keygate' && value !== 'kong') throw new BlobError(`the keyring export gives key ${id} an unknown origin (expected keygate or kong)`);
    return value;
  };
  const keys = Object.entries(parsed.keys ?? {}).map(([id, b64]): DataKey => ({ id, key: new Secret(Buffer.from(b64, 'base64')), origin: origin(id) }));
  if (keys.some((k) => k.key.reveal().length !== 32)) throw new BlobError('the keyring export holds a key that is not 32 bytes');
  return { keys, active: parsed.active, format: ours ? 'keygate-v2' : 'kong' };
}
