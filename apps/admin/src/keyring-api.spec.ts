import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { AppProcess, httpClient, rsaKeyFiles, useTestDatabase, type HttpClient } from '@keygate/testing';

const database = useTestDatabase();
const rsa = rsaKeyFiles();
const blobPath = join(rsa.dir, 'keyring.blob');
let admin: AppProcess;
let api: HttpClient;
const KEY_ID = /^[A-Za-z0-9]{8}$/;

const env = () => ({
  ...database.get().env(),
  KONG_KEYRING_ENABLED: 'on',
  KONG_KEYRING_STRATEGY: 'cluster',
  KONG_KEYRING_RECOVERY_PUBLIC_KEY: rsa.publicPath,
  KONG_KEYRING_PUBLIC_KEY: rsa.publicPath,
  KONG_KEYRING_PRIVATE_KEY: rsa.privatePath,
  KONG_KEYRING_BLOB_PATH: blobPath,
});

beforeAll(async () => {
  admin = await AppProcess.start('admin', { env: env() });
  api = httpClient(admin.url('admin'));
});
afterAll(() => admin?.stop());

describe('/keyring (cluster strategy)', () => {
  it('generated and activated a first key at start, as the seed describes', async () => {
    const keyring = await api.get<{ ids: string[]; active: string }>('/keyring');
    expect(keyring.status).toBe(200);
    expect(keyring.json.ids).toHaveLength(1);
    expect(keyring.json.active).toMatch(KEY_ID);
    expect(keyring.json.ids).toEqual([keyring.json.active]);
    expect((await api.get('/keyring/active')).json).toEqual({ id: keyring.json.active });
    const meta = await database.get().query("SELECT id, state FROM keyring_meta ORDER BY state = 'index', id");
    // Beside the data key, the index key of lookup digests (made with the first key).
    expect(meta).toEqual([{ id: keyring.json.active, state: 'active' }, { id: 'keygate:index', state: 'index' }]);
  });

  it('generate answers 201 with the id and the key; activate switches; remove refuses the active key', async () => {
    const generated = await api.post<{ id: string; key: string }>('/keyring/generate');
    expect(generated.status).toBe(201);
    expect(generated.json.id).toMatch(KEY_ID);
    expect(Buffer.from(generated.json.key, 'base64')).toHaveLength(32);
    const before = (await api.get<{ active: string }>('/keyring')).json.active;

    expect((await api.post('/keyring/activate', { form: { key: generated.json.id } })).status).toBe(204);
    expect((await api.get('/keyring/active')).json).toEqual({ id: generated.json.id });
    expect(await database.get().query("SELECT id FROM keyring_meta WHERE state = 'active'")).toEqual([{ id: generated.json.id }]);

    const refused = await api.post('/keyring/remove', { form: { key: generated.json.id } });
    expect(refused).toMatchObject({ status: 409, json: { message: `cannot remove the active key ${generated.json.id}; activate another key first` } });
    expect((await api.post('/keyring/remove', { form: { key: before } })).status).toBe(204);
    expect((await api.get<{ ids: string[] }>('/keyring')).json.ids).toEqual([generated.json.id]);
    expect(await database.get().query('SELECT id FROM keyring_keys WHERE id = $1', [before])).toEqual([]);
  });

  it('answers unknown ids with 404 and missing parameters with 400', async () => {
    expect(await api.post('/keyring/activate', { form: { key: 'nope1234' } })).toMatchObject({ status: 404, json: { message: 'key nope1234 is not in the keyring' } });
    expect(await api.post('/keyring/remove', { form: { key: 'nope1234' } })).toMatchObject({ status: 404 });
    expect(await api.post('/keyring/activate')).toMatchObject({ status: 400, json: { message: "missing 'key' param (the key id)" } });
    expect(await api.post('/keyring/import/raw', { form: { id: 'x' } })).toMatchObject({ status: 400, json: { message: "missing 'id' or 'data' params" } });
    expect(await api.post('/keyring/import/raw', { form: { id: 'short123', data: Buffer.alloc(16).toString('base64') } })).toMatchObject({
      status: 400,
      json: { message: 'key must be 32 bytes' },
    });
    expect(await api.post('/keyring/import/raw', { form: { id: 'has-dash', data: Buffer.alloc(32).toString('base64') } })).toMatchObject({ status: 400 });
    expect(await api.post('/keyring/import')).toMatchObject({ status: 400, json: { message: "missing 'data' param" } });
    expect(await api.post('/keyring/import', { form: { data: 'Z2FyYmFnZQ==' } })).toMatchObject({ status: 400 });
    expect(await api.post('/keyring/recover')).toMatchObject({ status: 400, json: { message: "missing 'recovery_private_key' param" } });
    expect(await api.post('/keyring/recover', { form: { recovery_private_key: rsa.publicPem } })).toMatchObject({
      status: 400,
      json: { message: 'recovery needs a private key, not a public key' },
    });
    expect(await api.post('/keyring/vault/sync')).toMatchObject({ status: 400, json: { message: "endpoint only supported for 'vault' strategy (keyring_strategy)" } });
    expect((await api.get('/keyring/generate')).status).toBe(405);
  });

  it('imports a raw key (201) that can then be activated', async () => {
    const raw = Buffer.alloc(32, 7).toString('base64');
    const res = await api.post('/keyring/import/raw', { form: { id: 'rawKey01', data: raw } });
    expect(res.status).toBe(201);
    expect((await api.get<{ ids: string[] }>('/keyring')).json.ids).toContain('rawKey01');
  });

  it('exports and imports the keyring (200 with the keyring)', async () => {
    const exported = await api.post<{ data: string }>('/keyring/export');
    expect(exported.status).toBe(200);
    const blob = JSON.parse(Buffer.from(exported.json.data, 'base64').toString()) as Record<string, unknown>;
    expect(Object.keys(blob).sort()).toEqual(['d', 'k', 'n', 'v']);
    const view = (await api.get<{ ids: string[]; active: string }>('/keyring')).json;
    const imported = await api.post('/keyring/import', { form: { data: exported.json.data } });
    expect(imported).toMatchObject({ status: 200, json: { ids: view.ids, active: view.active } });
  });

  it('keeps keyring_blob_path current, encrypted (no key material in clear)', async () => {
    expect(existsSync(blobPath)).toBe(true);
    const text = readFileSync(blobPath, 'utf8');
    expect(text).not.toContain(Buffer.alloc(32, 7).toString('base64'));
  });

  it('shows the keyring in the node status, ids only', async () => {
    const status = (await (await fetch(`${admin.url('status')}/status`)).json()) as { keyring: Record<string, unknown> };
    const view = (await api.get<{ ids: string[]; active: string }>('/keyring')).json;
    expect(status.keyring).toEqual({ enabled: true, strategy: 'cluster', ids: view.ids, active: view.active, members_seen: 1, last_sync: expect.any(String) });
  });

  it('loads its keys from keyring_blob_path after a restart', async () => {
    const view = (await api.get<{ ids: string[]; active: string }>('/keyring')).json;
    await admin.stop();
    admin = await AppProcess.start('admin', { env: env() });
    api = httpClient(admin.url('admin'));
    expect((await api.get('/keyring')).json).toMatchObject({ ids: view.ids, active: view.active, members: [{ app: 'admin', active: view.active, ids: view.ids }] });
  });

  it("recovers keys Kong backed up ($ker$1$, RSA PKCS#1 v1.5) as well as its own", async () => {
    const { constants, publicEncrypt, randomBytes } = await import('node:crypto');
    const material = randomBytes(32);
    const sealed = '$ker$1$' + publicEncrypt({ key: rsa.publicPem, padding: constants.RSA_PKCS1_PADDING }, material).toString('base64');
    await database.get().query("INSERT INTO keyring_meta (id, state) VALUES ('kongRec1', 'alive')");
    await database.get().query("INSERT INTO keyring_keys (id, recovery_key_id, key_encrypted) VALUES ('kongRec1', 'kong', $1)", [sealed]);
    const res = await api.post<{ recovered: string[]; not_recovered: string[] }>('/keyring/recover', { form: { recovery_private_key: rsa.privatePem } });
    expect(res.status).toBe(200);
    expect(res.json.recovered).toContain('kongRec1');
    expect(res.json.not_recovered).toEqual([]);
  });

  it('never logs key material', async () => {
    expect(admin.output).not.toMatch(/PRIVATE KEY-----/);
    expect(admin.output).not.toContain(Buffer.alloc(32, 7).toString('base64'));
  });
});

describe('/keyring with the keyring disabled', () => {
  it('answers 400 naming the setting that enables it', async () => {
    const off = await AppProcess.start('admin', { env: database.get().env() });
    try {
      const res = await httpClient(off.url('admin')).get('/keyring');
      expect(res).toMatchObject({ status: 400, json: { message: expect.stringContaining('keyring_enabled = on') } });
    } finally {
      await off.stop();
    }
  });
});
