import { createHash, createHmac } from 'node:crypto';
import { CredentialHasher } from './hasher';

describe('CredentialHasher', () => {
  it('is HMAC-SHA256 under its key, and checks Kong basic-auth hashes in constant time', () => {
    const key = Buffer.alloc(32, 7);
    const hasher = new CredentialHasher(key);
    expect(hasher.digest('abc')).toBe(createHmac('sha256', key).update('abc').digest('base64'));
    const id = '6375b5fd-9c95-4822-b2dd-80ffbccb7ec9';
    // Kong's test vector (docs/keyring.md): supersecretpassword -> da61c008...
    expect(createHash('sha1').update(`supersecretpassword${id}`).digest('hex')).toBe('da61c0083b6d19ef3db2490d0da96a71572da0fa');
    const stored = hasher.digest('da61c0083b6d19ef3db2490d0da96a71572da0fa');
    expect(hasher.verifyPassword('supersecretpassword', id, 'sha1', stored)).toBe(true);
    expect(hasher.verifyPassword('supersecretpasswore', id, 'sha1', stored)).toBe(false);
    expect(() => new CredentialHasher(Buffer.alloc(16))).toThrow('at least 32 bytes');
  });
});
