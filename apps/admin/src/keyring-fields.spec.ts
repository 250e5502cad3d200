import { createHash } from 'node:crypto';
import { AppProcess, httpClient, rsaKeyFiles, selfSignedCertificate, useTestDatabase, type HttpClient } from '@keygate/testing';

const database = useTestDatabase();
const rsa = rsaKeyFiles();
let admin: AppProcess;
let api: HttpClient;

const env = () => ({
  ...database.get().env(),
  KONG_KEYRING_ENABLED: 'on',
  KONG_KEYRING_RECOVERY_PUBLIC_KEY: rsa.publicPath,
});
const start = async () => {
  admin = await AppProcess.start('admin', { env: env() });
  api = httpClient(admin.url('admin'));
};
const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
const stored = async (table: string, id: string, column: string) =>
  (await database.get().query<Record<string, string>>(`SELECT ${column} AS value FROM ${table} WHERE id = $1`, [id]))[0]?.value;

beforeAll(start);
afterAll(() => admin?.stop());

describe('encrypted fields', () => {
  let bob: { id: string };
  let credential: { id: string; password: string };

  it('stores a basic-auth password as $ke$2$ under the active key; the Admin API shows the SHA-1 hash (seed walkthrough)', async () => {
    const active = (await api.get<{ active: string }>('/keyring')).json.active;
    bob = (await api.post<{ id: string }>('/consumers', { form: { username: 'bob' } })).json;
    const created = await api.post<{ id: string; password: string }>('/consumers/bob/basic-auth', { form: { username: 'bob', password: 'supersecretpassword' } });
    expect(created.status).toBe(201);
    credential = created.json;
    expect(credential.password).toBe(sha1(`supersecretpassword${bob.id}`));
    expect(await stored('basicauth_credentials', credential.id, 'password')).toMatch(new RegExp(`^\\$ke\\$2\\$-${active}-[0-9a-f]{24}-[0-9a-f]{112}$`));
    expect((await api.get(`/consumers/bob/basic-auth/${credential.id}`)).json).toMatchObject({ password: credential.password, username: 'bob' });
  });

  it('re-encrypts with the new active key when the password is PATCHed after a rotation', async () => {
    const generated = (await api.post<{ id: string }>('/keyring/generate')).json;
    await api.post('/keyring/activate', { form: { key: generated.id } });
    const patched = await api.patch<{ password: string }>(`/consumers/bob/basic-auth/${credential.id}`, { form: { password: 'adifferentsecretpassword' } });
    expect(patched.json.password).toBe(sha1(`adifferentsecretpassword${bob.id}`));
    expect(await stored('basicauth_credentials', credential.id, 'password')).toContain(`$ke$2$-${generated.id}-`);
    // A PATCH of another field keeps the hash (it is not hashed again).
    const renamed = await api.patch<{ password: string }>(`/basic-auths/${credential.id}`, { json: { tags: ['x'] } });
    expect(renamed.json.password).toBe(sha1(`adifferentsecretpassword${bob.id}`));
  });

  it("reads Kong's $ke$1$ value with Kong's imported key (the seed's real vector)", async () => {
    await api.post('/keyring/import/raw', { form: { id: '8zgITLQh', data: 't6NWgbj3g9cbNVC3/D6oZ2Md1Br5gWtRrqb1T2FZy44=', origin: 'kong' } });
    const consumer = (await api.post<{ id: string }>('/consumers', { form: { username: 'kong-bob' } })).json;
    const id = 'fc46ce48-c1d6-4078-9f51-5a777350a8a2';
    await database.get().query(
      `INSERT INTO basicauth_credentials (id, created_at, consumer_id, username, password) VALUES ($1, now(), $2, 'kong-bob',
       '$ke$1$-8zgITLQh-b8d28531252241e6b95907e4-0768a9a4baaa2c777d9406d4e3098d813be55ae82c4c849182b06b9c5954704c6290c9e677bcd693')`,
      [id, consumer.id],
    );
    expect((await api.get(`/basic-auths/${id}`)).json).toMatchObject({ password: 'cc7274e94e41f3e00c238ff8712d1a83693f2a89' });
    // Its next write rewrites it in our authenticated format.
    await api.patch(`/basic-auths/${id}`, { json: { tags: ['migrated'] } });
    expect(await stored('basicauth_credentials', id, 'password')).toMatch(/^\$ke\$2\$-/);
    expect((await api.get(`/basic-auths/${id}`)).json).toMatchObject({ password: 'cc7274e94e41f3e00c238ff8712d1a83693f2a89' });
  });

  it('answers a tampered value with 409 naming table, row and key id (never the value); the rest keeps working', async () => {
    const value = (await stored('basicauth_credentials', credential.id, 'password')) as string;
    const i = value.length - 10;
    await database.get().query('UPDATE basicauth_credentials SET password = $1 WHERE id = $2', [value.slice(0, i) + (value[i] === 'a' ? 'b' : 'a') + value.slice(i + 1), credential.id]);
    const res = await api.get<{ message: string }>(`/basic-auths/${credential.id}`);
    expect(res.status).toBe(409);
    expect(res.json).toEqual({
      message: `basicauth_credentials row ${credential.id}: its password (key ${value.split('-')[1]}) failed authentication: it was changed outside Keygate; give the row a new password (PATCH) or delete it`,
    });
    expect((await api.get('/consumers/bob')).status).toBe(200);
    expect((await api.get('/basic-auths/fc46ce48-c1d6-4078-9f51-5a777350a8a2')).status).toBe(200);
  });

  it('encrypts key-auth keys, generates a 32-character key when none is given, and keeps keys unique', async () => {
    const created = await api.post<{ id: string; key: string }>('/consumers/bob/key-auth');
    expect(created.status).toBe(201);
    expect(created.json.key).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(await stored('keyauth_credentials', created.json.id, 'key')).toMatch(/^\$ke\$2\$-/);
    const dup = await api.post('/consumers/kong-bob/key-auth', { form: { key: created.json.key } });
    expect(dup).toMatchObject({ status: 409, json: { code: 5, message: `UNIQUE violation detected on '{key="${created.json.key}"}'` } });
    expect((await api.get<{ data: unknown[] }>('/key-auths')).json.data).toHaveLength(1);
  });

  it('encrypts certificate keys and checks that the key matches the certificate', async () => {
    const pair = selfSignedCertificate();
    const other = selfSignedCertificate('other.test');
    const created = await api.post<{ id: string; key: string }>('/certificates', { json: { cert: pair.cert, key: pair.key } });
    expect(created.status).toBe(201);
    expect(created.json.key).toBe(pair.key);
    expect(await stored('certificates', created.json.id, 'key')).toMatch(/^\$ke\$2\$-/);
    const mismatch = await api.post('/certificates', { json: { cert: pair.cert, key: other.key } });
    expect(mismatch).toMatchObject({ status: 400, json: { fields: { '@entity': ['certificate does not match key'] } } });
    expect((await api.post('/certificates', { json: { cert: 'nope', key: pair.key } })).json).toMatchObject({ fields: { cert: expect.stringMatching(/^invalid certificate/) } });
  });

  it('after a restart without keys: reads fail fast naming the key, writes fail with 503; recover brings everything back with the same key active', async () => {
    const active = (await api.get<{ active: string }>('/keyring')).json.active;
    await admin.stop();
    await start();
    const started = Date.now();
    const read = await api.get<{ message: string }>('/basic-auths/fc46ce48-c1d6-4078-9f51-5a777350a8a2');
    expect(read.status).toBe(503);
    const keyId = ((await stored('basicauth_credentials', 'fc46ce48-c1d6-4078-9f51-5a777350a8a2', 'password')) as string).split('-')[1];
    expect(keyId).toBe(active);
    expect(read.json.message).toBe(
      `basicauth_credentials row fc46ce48-c1d6-4078-9f51-5a777350a8a2: its password is encrypted with key ${keyId}, which this node does not hold; recover it (POST /keyring/recover) or import it (POST /keyring/import), or give the row a new password or delete it`,
    );
    expect(Date.now() - started).toBeLessThan(3000);
    const write = await api.post('/consumers/bob/key-auth');
    expect(write.status).toBe(503);
    expect((await api.get<{ data: unknown[] }>('/key-auths')).status).toBe(503);
    expect(await database.get().query('SELECT count(*)::int AS n FROM keyauth_credentials')).toEqual([{ n: 1 }]);

    const recovered = await api.post<{ message: string; recovered: string[]; not_recovered: string[]; active: string }>('/keyring/recover', {
      multipart: { recovery_private_key: rsa.privatePem },
    });
    expect(recovered.status).toBe(200);
    expect(recovered.json.message).toMatch(/^successfully recovered \d+ keys$/);
    expect(recovered.json.recovered).toContain('8zgITLQh');
    expect(recovered.json.not_recovered).toEqual([]);
    expect(recovered.json.active).toBe(active);
    expect((await api.get('/keyring/active')).json).toEqual({ id: active });
    expect((await api.get('/basic-auths/fc46ce48-c1d6-4078-9f51-5a777350a8a2')).json).toMatchObject({ password: 'cc7274e94e41f3e00c238ff8712d1a83693f2a89' });
    expect((await api.post('/consumers/bob/key-auth')).status).toBe(201);
  });

  it('never logs key material or the recovery private key', () => {
    expect(admin.output).not.toMatch(/PRIVATE KEY-----/);
    expect(admin.output).not.toContain('t6NWgbj3g9cbNVC3/D6oZ2Md1Br5gWtRrqb1T2FZy44=');
  });
});
