import { decryptField, encryptField, fieldFormat, fieldKeyId, type DataKey } from './field-cipher';
import { FieldIntegrityError, KeyNotAvailableError, LegacyFormatRefusedError, PlaintextRefusedError } from './errors';
import { newDataKey, newKeyId } from './random';
import { Secret } from './secret';

const KONG_KEY: DataKey = { id: '8zgITLQh', key: new Secret(Buffer.from('t6NWgbj3g9cbNVC3/D6oZ2Md1Br5gWtRrqb1T2FZy44=', 'base64')), origin: 'kong' };
const KONG_VALUE =
  '$ke$1$-8zgITLQh-b8d28531252241e6b95907e4-0768a9a4baaa2c777d9406d4e3098d813be55ae82c4c849182b06b9c5954704c6290c9e677bcd693';
const context = { table: 'basicauth_credentials', field: 'password', id: 'fc46ce48-c1d6-4078-9f51-5a777350a8a2' };

const key: DataKey = { id: newKeyId(), key: new Secret(newDataKey()) };
const keys = (...list: DataKey[]) => (id: string) => list.find((k) => k.id === id);

describe('field cipher', () => {
  it("reads Kong's $ke$1$ value from its keyring docs (real vector) under a key imported from Kong, reported as unauthenticated", () => {
    const out = decryptField(KONG_VALUE, keys(KONG_KEY), context);
    expect(out).toEqual({ plaintext: 'cc7274e94e41f3e00c238ff8712d1a83693f2a89', format: 'kong-v1', keyId: '8zgITLQh', authenticated: false });
  });

  it('refuses a $ke$1$ value under a key Keygate generated (a forgery from the shared GCM keystream)', () => {
    const ours: DataKey = { id: KONG_KEY.id, key: KONG_KEY.key };
    expect(() => decryptField(KONG_VALUE, keys(ours), context)).toThrow(LegacyFormatRefusedError);
    expect(() => decryptField(KONG_VALUE, keys({ ...ours, origin: 'keygate' }), context)).toThrow(expect.objectContaining({ code: 'LEGACY_FORMAT_REFUSED', keyId: '8zgITLQh' }));
    // The forgery itself: $ke$2$ minus its tag, relabelled, decrypts to the same plaintext under CTR.
    const genuine = encryptField('known-plaintext', key, context);
    const forged = genuine.replace('$ke$2$', '$ke$1$').slice(0, -32);
    expect(decryptField(forged, keys({ ...key, origin: 'kong' }), context).plaintext).toBe('known-plaintext');
    expect(() => decryptField(forged, keys(key), context)).toThrow(LegacyFormatRefusedError);
  });

  it('writes $ke$2$ with the key id, a 24-hex nonce and ciphertext followed by the 16-byte tag', () => {
    const value = encryptField('da61c0083b6d19ef3db2490d0da96a71572da0fa', key, context);
    expect(value).toMatch(new RegExp(`^\\$ke\\$2\\$-${key.id}-[0-9a-f]{24}-[0-9a-f]{${(40 + 16) * 2}}$`));
    expect(fieldFormat(value)).toBe('keygate-v2');
    expect(fieldKeyId(value)).toBe(key.id);
    expect(decryptField(value, keys(key), context)).toEqual({
      plaintext: 'da61c0083b6d19ef3db2490d0da96a71572da0fa',
      format: 'keygate-v2',
      keyId: key.id,
      authenticated: true,
    });
    expect(encryptField('same', key, context)).not.toBe(encryptField('same', key, context));
  });

  it('detects a change of any single hex digit of nonce, ciphertext or tag', () => {
    const value = encryptField('secret-value', key, context);
    const start = value.indexOf('-', value.indexOf('-') + 1) + 1; // first digit of the nonce
    for (let i = start; i < value.length; i++) {
      if (value[i] === '-') continue;
      const flipped = value.slice(0, i) + (value[i] === '0' ? '1' : '0') + value.slice(i + 1);
      expect(() => decryptField(flipped, keys(key), context)).toThrow(FieldIntegrityError);
    }
  });

  it('detects truncation and a value moved to another row or column', () => {
    const value = encryptField('secret-value', key, context);
    expect(() => decryptField(value.slice(0, -2), keys(key), context)).toThrow(FieldIntegrityError);
    expect(() => decryptField(value, keys(key), { ...context, id: 'another-row' })).toThrow(FieldIntegrityError);
    expect(() => decryptField(value, keys(key), { ...context, field: 'username' })).toThrow(FieldIntegrityError);
    expect(() => decryptField('$ke$2$-abc-zz-00', keys(key), context)).toThrow(FieldIntegrityError);
  });

  it('names the key id when this node does not hold the key', () => {
    const value = encryptField('x', key, context);
    const err = (() => {
      try {
        decryptField(value, keys(), context);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(KeyNotAvailableError);
    expect((err as KeyNotAvailableError).keyId).toBe(key.id);
    expect((err as Error).message).toBe(`encryption key ${key.id} is not available on this node`);
  });

  it('refuses plaintext in an encrypted field unless the migration policy accepts it', () => {
    expect(() => decryptField('plain', keys(), context)).toThrow(PlaintextRefusedError);
    expect(() => decryptField('plain', keys(), context, { acceptPlaintext: false })).toThrow(expect.objectContaining({ code: 'PLAINTEXT_REFUSED' }));
    expect(decryptField('plain', keys(), context, { acceptPlaintext: true })).toEqual({ plaintext: 'plain', format: 'plaintext', keyId: undefined, authenticated: false });
  });

  it('makes key ids of 8 [A-Za-z0-9] characters', () => {
    const ids = new Set(Array.from({ length: 200 }, () => newKeyId()));
    expect(ids.size).toBe(200);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9]{8}$/);
  });
});
