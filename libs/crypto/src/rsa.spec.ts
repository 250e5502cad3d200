import { constants, createPublicKey, generateKeyPairSync, publicEncrypt } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RsaKeyError } from './errors';
import { loadRsaKey, parsePrivateKeyPem, publicKeyFingerprint, rsaOaepDecrypt, rsaOaepEncrypt, rsaPkcs1v15DecryptLegacy } from './rsa';

const { publicKey, privateKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256', publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
const dir = mkdtempSync(join(tmpdir(), 'keygate-rsa-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('loadRsaKey', () => {
  it('reads a path, PEM text or base64 PEM, as Kong does', () => {
    const fromPath = loadRsaKey('keyring_public_key', file('cert.pem', publicKey), 'public');
    const fromPem = loadRsaKey('keyring_public_key', publicKey, 'public');
    const fromBase64 = loadRsaKey('keyring_public_key', Buffer.from(publicKey).toString('base64'), 'public');
    expect(publicKeyFingerprint(fromPath)).toBe(publicKeyFingerprint(fromPem));
    expect(publicKeyFingerprint(fromBase64)).toBe(publicKeyFingerprint(fromPem));
    expect(publicKeyFingerprint(loadRsaKey('keyring_private_key', privateKey, 'private'))).toBe(publicKeyFingerprint(fromPem));
  });

  it.each([
    ['a missing file', '/nonexistent/cert.pem', 'public', 'keyring_recovery_public_key: failed to read file /nonexistent/cert.pem'],
    ['a private key where a public one is needed', 'PRIVATE', 'public', 'must be a public key'],
    ['a public key where a private one is needed', 'PUBLIC', 'private', 'must be a private key'],
    ['an EC key', 'EC', 'public', 'must be a RSA key'],
    ['garbage in a file', 'GARBAGE', 'public', 'failed to parse'],
  ])('names the setting and file for %s', (_what, which, kind, message) => {
    const value =
      which === 'PRIVATE' ? file('k1.pem', privateKey)
      : which === 'PUBLIC' ? file('k2.pem', publicKey)
      : which === 'EC' ? file('ec.pem', ec.publicKey)
      : which === 'GARBAGE' ? file('bad.pem', '-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n')
      : which;
    expect(() => loadRsaKey('keyring_recovery_public_key', value, kind as 'public' | 'private')).toThrow(RsaKeyError);
    expect(() => loadRsaKey('keyring_recovery_public_key', value, kind as 'public' | 'private')).toThrow(message);
    if (which !== '/nonexistent/cert.pem' && value.startsWith('/')) {
      expect(() => loadRsaKey('keyring_recovery_public_key', value, kind as 'public' | 'private')).toThrow(value);
    }
  });
});

describe('RSA wrapping', () => {
  it('round-trips OAEP-SHA256', () => {
    const data = Buffer.from('32 bytes of key material........');
    const wrapped = rsaOaepEncrypt(loadRsaKey('k', publicKey, 'public'), data);
    expect(rsaOaepDecrypt(loadRsaKey('k', privateKey, 'private'), wrapped)).toEqual(data);
  });

  it("reads Kong's PKCS#1 v1.5 ciphertexts", () => {
    const data = Buffer.from('kong key material');
    const legacy = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, data);
    expect(rsaPkcs1v15DecryptLegacy(loadRsaKey('k', privateKey, 'private'), legacy)).toEqual(data);
    // Blocks that are not PKCS#1 v1.5 encryption padding (built raw, so the check is not left to
    // chance: an OAEP ciphertext passes it about once in 256 tries, as in any v1.5 decoder).
    const size = (createPublicKey(publicKey).asymmetricKeyDetails?.modulusLength ?? 2048) / 8;
    const rawBlock = (head: number[], zeroAt: number) => {
      const block = Buffer.alloc(size, 0xab);
      Buffer.from(head).copy(block);
      block[zeroAt] = 0;
      return publicEncrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, block);
    };
    const key = loadRsaKey('k', privateKey, 'private');
    expect(rsaPkcs1v15DecryptLegacy(key, rawBlock([0, 2], 40))).toEqual(Buffer.alloc(size - 41, 0xab));
    expect(() => rsaPkcs1v15DecryptLegacy(key, rawBlock([0, 1], 40))).toThrow(RsaKeyError); // signature padding
    expect(() => rsaPkcs1v15DecryptLegacy(key, rawBlock([0, 2], 5))).toThrow(RsaKeyError); // padding string too short
  });

  it('refuses a public key or garbage as a recovery private key, without echoing it', () => {
    expect(() => parsePrivateKeyPem(publicKey)).toThrow('recovery needs a private key, not a public key');
    expect(() => parsePrivateKeyPem('secret-garbage-123')).toThrow('not a PEM RSA private key');
    expect(() => parsePrivateKeyPem('secret-garbage-123')).not.toThrow(/secret-garbage/);
  });
});
