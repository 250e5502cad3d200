import { constants, createCipheriv, generateKeyPairSync, publicEncrypt, randomBytes } from 'node:crypto';
import { newDataKey, Secret } from '@keygate/crypto';
import { exportKeyring, importKeyring } from './blob';
import { openRecovery, RECOVERY_V1, sealForRecovery } from './recovery';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const keys = [
  { id: 'AAAAAAAA', key: new Secret(newDataKey()) },
  { id: 'BBBBBBBB', key: new Secret(newDataKey()) },
];

/** A blob exactly as Kong writes it: PKCS#1 v1.5 wrap, GCM keystream without tag. */
function kongBlob(json: object): string {
  const aes = randomBytes(32);
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', aes, nonce);
  const d = cipher.update(JSON.stringify(json), 'utf8'); // Kong never calls final(): no tag
  const k = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, aes);
  return Buffer.from(JSON.stringify({ k: k.toString('base64'), n: nonce.toString('base64'), d: d.toString('base64') })).toString('base64');
}

describe('keyring export blob', () => {
  it('round-trips every key and the active id', () => {
    const blob = exportKeyring(keys, 'BBBBBBBB', publicKey);
    const out = importKeyring(blob, privateKey);
    expect(out.format).toBe('keygate-v2');
    expect(out.active).toBe('BBBBBBBB');
    expect(out.keys.map((k) => [k.id, k.key.reveal().toString('hex')])).toEqual(keys.map((k) => [k.id, k.key.reveal().toString('hex')]));
  });

  it("carries each key's origin, so a key imported from Kong stays one (and ours never become one)", () => {
    const mixed = [keys[0]!, { ...keys[1]!, origin: 'kong' as const }];
    const out = importKeyring(exportKeyring(mixed, 'AAAAAAAA', publicKey), privateKey);
    expect(out.keys.map((k) => [k.id, k.origin])).toEqual([['AAAAAAAA', 'keygate'], ['BBBBBBBB', 'kong']]);
  });

  it('refuses a changed blob (authenticated), and one for another key pair', () => {
    const blob = JSON.parse(Buffer.from(exportKeyring(keys, 'AAAAAAAA', publicKey), 'base64').toString()) as { d: string };
    const d = Buffer.from(blob.d, 'base64');
    d[3] = (d[3] as number) ^ 1;
    const changed = Buffer.from(JSON.stringify({ ...blob, d: d.toString('base64') })).toString('base64');
    expect(() => importKeyring(changed, privateKey)).toThrow('cannot decrypt the keyring export');
    expect(() => importKeyring(exportKeyring(keys, 'AAAAAAAA', publicKey), other.privateKey)).toThrow('cannot decrypt the keyring export');
    expect(() => importKeyring('not a blob', privateKey)).toThrow('not a keyring export');
  });

  it("imports Kong's export format", () => {
    const material = newDataKey();
    const out = importKeyring(kongBlob({ keys: { '8zgITLQh': material.toString('base64') }, active: '8zgITLQh' }), privateKey);
    expect(out).toMatchObject({ format: 'kong', active: '8zgITLQh' });
    expect(out.keys[0]?.key.reveal()).toEqual(material);
    expect(out.keys[0]?.origin).toBe('kong');
  });
});

describe('recovery envelopes', () => {
  it('seals with RSA-OAEP ($ker$2$) and opens ours and Kong’s $ker$1$', () => {
    const material = newDataKey();
    const sealed = sealForRecovery(material, publicKey);
    expect(sealed.startsWith('$ker$2$')).toBe(true);
    expect(openRecovery(sealed, privateKey)).toEqual(material);
    const kong = RECOVERY_V1 + publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, material).toString('base64');
    expect(openRecovery(kong, privateKey)).toEqual(material);
    expect(() => openRecovery(sealed, other.privateKey)).toThrow();
  });
});
