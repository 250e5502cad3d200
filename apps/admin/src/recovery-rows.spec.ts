import { constants, createPublicKey, publicEncrypt, randomBytes, randomUUID } from 'node:crypto';
import { deriveKey, encryptField, hmacBase64, Secret } from '@keygate/crypto';
import { AppProcess, httpClient, plantedSecret, rsaKeyFiles, useTestDatabase, type HttpClient } from '@keygate/testing';

/**
 * Anyone can encrypt a key of their own to the recovery *public* key. Played here as an attacker
 * with table write: a `keyring_keys` row with the attacker's key, a `keyring_meta` row that the
 * attacker's key itself vouches for (claiming to be the newest active key), and a credential
 * encrypted under it for the victim. Recovery after a full restart must bring back the genuine
 * keys only.
 */
const database = useTestDatabase();
const rsa = rsaKeyFiles();
let admin: AppProcess;
let api: HttpClient;
const secret = plantedSecret('recovery-rows-secret');
const env = () => ({
  ...database.get().env(),
  KONG_KEYRING_ENABLED: 'on',
  KONG_KEYRING_CLUSTER_SECRET: secret,
  KONG_KEYRING_RECOVERY_PUBLIC_KEY: rsa.publicPath,
});
const start = async () => {
  admin = await AppProcess.start('admin', { env: env() });
  api = httpClient(admin.url('admin'));
};

beforeAll(start);
afterAll(() => admin?.stop());

describe('recovery rows are authenticated with the cluster secret', () => {
  it('a key a database writer put in keyring_keys is not recovered, cannot become active, and values under it do not authenticate', async () => {
    const genuine = (await api.get<{ active: string }>('/keyring')).json.active;
    const consumer = (await api.post<{ id: string }>('/consumers', { form: { username: 'victim' } })).json;
    await admin.stop();

    const writer = await database.get().attacker({ tables: 'write' });
    const evil = { id: 'evil0001', key: new Secret(randomBytes(32)) };
    const sealed = '$ker$2$' + publicEncrypt({ key: createPublicKey(rsa.publicPem), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, evil.key.reveal()).toString('base64');
    await writer.query("INSERT INTO keyring_keys (id, recovery_key_id, key_encrypted) VALUES ($1, 'x', $2)", [evil.id, sealed]);
    const generation = '1000000000';
    const mac = hmacBase64(deriveKey(evil.key, 'keygate keyring_meta v1'), ['keygate-keyring-meta:v1', evil.id, 'keygate', generation, 'live'].join('\n'));
    await writer.query("UPDATE keyring_meta SET state = 'alive'");
    await writer.query("INSERT INTO keyring_meta (id, state, origin, generation, mac) VALUES ($1, 'active', 'keygate', $2, $3)", [evil.id, generation, mac]);
    const credential = randomUUID();
    const forgedKey = encryptField('attacker-chosen-key', evil, { table: 'keyauth_credentials', field: 'key', id: credential });
    await writer.query('INSERT INTO keyauth_credentials (id, created_at, consumer_id, key) VALUES ($1, now(), $2, $3)', [credential, consumer.id, forgedKey]);

    await start();
    const res = await api.post<{ recovered: string[]; not_recovered: string[]; active: string | null }>('/keyring/recover', { form: { recovery_private_key: rsa.privatePem } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ recovered: [genuine], not_recovered: [evil.id], active: genuine });
    await admin.waitForLine((l) => l.includes(`could not recover key ${evil.id}`) && l.includes('not authenticated with keyring_cluster_secret'));
    expect((await api.get<{ ids: string[] }>('/keyring')).json.ids).toEqual([genuine]);
    const read = await api.get<{ key?: string }>(`/key-auths/${credential}`);
    expect(read.status).not.toBe(200);
    expect(JSON.stringify(read.json)).not.toContain('attacker-chosen-key');
  });
});
