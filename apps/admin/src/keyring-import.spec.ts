import { createPublicKey, randomBytes } from 'node:crypto';
import { encryptField, Secret, type DataKey } from '@keygate/crypto';
import { exportKeyring } from '@keygate/keyring';
import { AppProcess, httpClient, rsaKeyFiles, useTestDatabase, type HttpClient } from '@keygate/testing';

/** Import never overwrites a key, and a key's origin (Keygate or Kong) survives import and recovery. */
const database = useTestDatabase();
const rsa = rsaKeyFiles();
let admin: AppProcess;
let api: HttpClient;

// No keyring_blob_path: a restart loses every key, so recovery is what brings them back.
const env = () => ({
  ...database.get().env(),
  KONG_KEYRING_ENABLED: 'on',
  KONG_KEYRING_RECOVERY_PUBLIC_KEY: rsa.publicPath,
  KONG_KEYRING_PUBLIC_KEY: rsa.publicPath,
  KONG_KEYRING_PRIVATE_KEY: rsa.privatePath,
});
const start = async () => {
  admin = await AppProcess.start('admin', { env: env() });
  api = httpClient(admin.url('admin'));
};
const b64 = () => randomBytes(32).toString('base64');
const recoveryRow = async (id: string) => (await database.get().query<{ key_encrypted: string }>('SELECT key_encrypted FROM keyring_keys WHERE id = $1', [id]))[0]?.key_encrypted;
const ids = async () => (await api.get<{ ids: string[] }>('/keyring')).json.ids;

beforeAll(start);
afterAll(() => admin?.stop());

describe('importing a key id the cluster already has', () => {
  const raw = { id: 'rawKey01', data: b64() };
  let active: string;
  let credential: string;

  beforeAll(async () => {
    active = (await api.get<{ active: string }>('/keyring')).json.active;
    await api.post('/consumers', { form: { username: 'erin' } });
    credential = (await api.post<{ id: string }>('/consumers/erin/key-auth', { form: { key: 'erin-key' } })).json.id;
  });

  it('import/raw of a new id answers 201; the same id and material again is idempotent (201)', async () => {
    expect((await api.post('/keyring/import/raw', { form: raw })).status).toBe(201);
    const sealed = await recoveryRow(raw.id);
    expect((await api.post('/keyring/import/raw', { form: raw })).status).toBe(201);
    expect(await recoveryRow(raw.id)).toBeDefined();
    expect(sealed).toBeDefined();
  });

  it('after every node restarted, importing the export brings the keys back (its keys verify their rows); other material under the same id still answers 409', async () => {
    const exported = (await api.post<{ data: string }>('/keyring/export')).json.data;
    await admin.stop();
    await start();
    expect(await ids()).toEqual([]);
    const forged = exportKeyring([{ id: active, key: new Secret(randomBytes(32)) }], active, createPublicKey(rsa.publicPem));
    expect((await api.post('/keyring/import', { form: { data: forged } })).status).toBe(409);
    expect((await api.post('/keyring/import', { form: { data: exported } })).status).toBe(200);
    expect(await ids()).toContain(active);
    expect((await api.get<{ key: string }>(`/key-auths/${credential}`)).json.key).toBe('erin-key');
  });

  it('import/raw with other material answers 409 naming the id, for any key and for the active one; nothing changes', async () => {
    for (const id of [raw.id, active]) {
      const before = await recoveryRow(id);
      const res = await api.post<{ message: string }>('/keyring/import/raw', { form: { id, data: b64() } });
      expect(res.status).toBe(409);
      expect(res.json.message).toBe(`key ${id} is already in the keyring with different material; replacing it would make every value written under it unreadable. import it under another id; nothing was imported`);
      expect(await recoveryRow(id)).toBe(before);
    }
    // Values written under the active key are still readable.
    expect((await api.get<{ key: string }>(`/key-auths/${credential}`)).json.key).toBe('erin-key');
  });

  it('import/raw answers 409 for an id the cluster knows but this node does not hold (recover first), and 400 for an unknown origin', async () => {
    await database.get().query("INSERT INTO keyring_meta (id, state) VALUES ('notHeld1', 'alive')");
    const res = await api.post<{ message: string }>('/keyring/import/raw', { form: { id: 'notHeld1', data: b64() } });
    expect(res.status).toBe(409);
    expect(res.json.message).toContain('key notHeld1 is already in the keyring with other material or origin, or its keyring_meta row cannot vouch for it');
    expect(res.json.message).toContain('POST /keyring/recover');
    const bad = await api.post<{ message: string }>('/keyring/import/raw', { form: { id: 'newKey01', data: b64(), origin: 'lua' } });
    expect(bad).toMatchObject({ status: 400, json: { message: "'origin' must be 'kong' (a key from a Kong database) or 'keygate' (default)" } });
  });

  it('import/raw of a held key with the same material but another origin answers 409', async () => {
    const res = await api.post<{ message: string }>('/keyring/import/raw', { form: { ...raw, origin: 'kong' } });
    expect(res.status).toBe(409);
    expect(res.json.message).toContain(`key ${raw.id} is already in the keyring as a keygate key, not kong`);
  });

  it('/keyring/import of a blob with one conflicting key answers 409 naming it and imports none of its keys', async () => {
    const publicKey = createPublicKey(rsa.publicPem);
    const fresh: DataKey = { id: 'blobNew1', key: new Secret(randomBytes(32)) };
    const clash: DataKey = { id: active, key: new Secret(randomBytes(32)) };
    const res = await api.post<{ message: string }>('/keyring/import', { form: { data: exportKeyring([fresh, clash], fresh.id, publicKey) } });
    expect(res.status).toBe(409);
    expect(res.json.message).toContain(`key ${active} is already in the keyring with different material`);
    expect(await ids()).not.toContain(fresh.id);
    expect(await database.get().query("SELECT id FROM keyring_meta WHERE id = 'blobNew1'")).toEqual([]);
    expect((await api.get<{ active: string }>('/keyring')).json.active).toBe(active);
  });

  it('/keyring/import of its own export is idempotent (200, same keyring)', async () => {
    const before = (await api.get<{ ids: string[]; active: string }>('/keyring')).json;
    const exported = (await api.post<{ data: string }>('/keyring/export')).json.data;
    const res = await api.post('/keyring/import', { form: { data: exported } });
    expect(res).toMatchObject({ status: 200, json: { ids: before.ids, active: before.active } });
  });
});

describe("a key's origin", () => {
  it('import/raw origin=kong is recorded in keyring_meta, restored by recovery, and reads $ke$1$; a Keygate key never does', async () => {
    const kong: DataKey = { id: 'kongKey1', key: new Secret(randomBytes(32)), origin: 'kong' };
    expect((await api.post('/keyring/import/raw', { form: { id: kong.id, data: kong.key.reveal().toString('base64'), origin: 'kong' } })).status).toBe(201);
    expect(await database.get().query("SELECT id, origin FROM keyring_meta WHERE origin = 'kong'")).toEqual([{ id: kong.id, origin: 'kong' }]);
    const active = (await api.get<{ active: string }>('/keyring')).json.active;
    const consumer = (await api.post<{ id: string }>('/consumers', { form: { username: 'kong-frank' } })).json;
    // Kong's $ke$1$ = $ke$2$'s GCM keystream without tag; build one under each key.
    const v1 = (key: DataKey, id: string) => encryptField('kong-frank-key', key, { table: 'keyauth_credentials', field: 'key', id }).replace('$ke$2$', '$ke$1$').slice(0, -32);
    const [underKong, underActive] = ['8f9a3c62-6c1f-4d55-9a55-0d3f7d7a0001', '8f9a3c62-6c1f-4d55-9a55-0d3f7d7a0002'];
    const activeKey = { id: active, key: new Secret(Buffer.alloc(32)) }; // its material is unknown here: a forgery can only guess
    await database.get().query('INSERT INTO keyauth_credentials (id, created_at, consumer_id, key) VALUES ($1, now(), $2, $3), ($4, now(), $2, $5)', [
      underKong,
      consumer.id,
      v1(kong, underKong),
      underActive,
      v1(activeKey, underActive),
    ]);

    await admin.stop();
    await start();
    const recovered = await api.post<{ recovered: string[] }>('/keyring/recover', { form: { recovery_private_key: rsa.privatePem } });
    expect(recovered.json.recovered).toEqual(expect.arrayContaining([kong.id, active]));
    expect((await api.get<{ key: string }>(`/key-auths/${underKong}`)).json.key).toBe('kong-frank-key');
    const refused = await api.get<{ message: string }>(`/key-auths/${underActive}`);
    expect(refused.status).toBe(409);
    expect(refused.json.message).toContain(`keyauth_credentials row ${underActive}: its key is not an authenticated $ke$2$ value (Kong's $ke$1$ under key ${active}, which is not a key imported from Kong)`);
  });

  it('recovery never replaces a key this node holds with a different keyring_keys row', async () => {
    const { constants, publicEncrypt } = await import('node:crypto');
    const active = (await api.get<{ active: string }>('/keyring')).json.active;
    await api.post('/consumers', { form: { username: 'gina' } });
    const written = (await api.post<{ id: string }>('/consumers/gina/key-auth', { form: { key: 'gina-key' } })).json.id;
    const planted = '$ker$1$' + publicEncrypt({ key: rsa.publicPem, padding: constants.RSA_PKCS1_PADDING }, randomBytes(32)).toString('base64');
    const attacker = await database.get().attacker({ tables: 'write' });
    await attacker.query('UPDATE keyring_keys SET key_encrypted = $1 WHERE id = $2', [planted, active]);
    const res = await api.post<{ recovered: string[]; not_recovered: string[] }>('/keyring/recover', { form: { recovery_private_key: rsa.privatePem } });
    expect(res.json.not_recovered).toEqual([active]);
    expect((await api.get<{ key: string }>(`/key-auths/${written}`)).json.key).toBe('gina-key');
  });
});
