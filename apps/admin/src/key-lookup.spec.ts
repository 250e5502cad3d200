import { randomBytes } from 'node:crypto';
import { AppProcess, httpClient, rsaKeyFiles, useTestDatabase, type HttpClient } from '@keygate/testing';

/**
 * `/key-auths/{key}` finds a credential through the keyed digest of its key (the key itself is
 * encrypted), and answers only when the decrypted key is the one asked for: a digest moved to
 * another row in the database does not make that row answer to someone else's key.
 */
const database = useTestDatabase();
const rsa = rsaKeyFiles();
let admin: AppProcess;
let api: HttpClient;

beforeAll(async () => {
  admin = await AppProcess.start('admin', {
    env: {
      ...database.get().env(),
      KONG_KEYRING_ENABLED: 'on',
      KONG_KEYRING_STRATEGY: 'cluster',
      KONG_KEYRING_CLUSTER_SECRET: randomBytes(24).toString('base64url'),
      KONG_KEYRING_RECOVERY_PUBLIC_KEY: rsa.publicPath,
      KONG_KEYRING_PUBLIC_KEY: rsa.publicPath,
      KONG_KEYRING_PRIVATE_KEY: rsa.privatePath,
    },
  });
  api = httpClient(admin.url('admin'));
});

afterAll(() => admin?.stop());

async function created(path: string, json: Record<string, unknown>): Promise<Record<string, unknown>> {
  for (let deadline = Date.now() + 20_000; ; ) {
    const res = await api.post(path, { json });
    if (res.status === 201) return res.json;
    // The first node generates the keyring as it starts; writes wait for an active key.
    if (Date.now() > deadline) throw new Error(`POST ${path}: ${res.status} ${res.text}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('key-auth credentials addressed by key', () => {
  it('reads, updates and deletes by key, through the keyed digest', async () => {
    await created('/consumers', { username: 'dana' });
    const credential = await created('/consumers/dana/key-auth', { key: 'dana-key' });
    const [row] = await database.get().query<{ key: string; key_digest: string }>('SELECT key, key_digest FROM keyauth_credentials WHERE id = $1', [credential.id]);
    expect(row!.key).toMatch(/^\$ke\$2\$/);
    expect(row!.key_digest).toMatch(/^h1:/);
    expect((await api.get('/key-auths/dana-key')).json).toMatchObject({ id: credential.id, key: 'dana-key' });
    expect((await api.get('/consumers/dana/key-auth/dana-key')).json).toMatchObject({ id: credential.id });
    expect((await api.patch('/key-auths/dana-key', { json: { tags: ['t'] } })).json).toMatchObject({ tags: ['t'] });
    expect((await api.put('/key-auths/dana-key', { json: { consumer: { username: 'dana' } } })).json).toMatchObject({ id: credential.id, key: 'dana-key' });
    expect((await api.delete('/consumers/dana/key-auth/dana-key')).status).toBe(204);
    expect((await api.get('/key-auths/dana-key')).status).toBe(404);
  });

  it('does not answer for a row whose digest was moved to it in the database', async () => {
    await created('/consumers', { username: 'erin' });
    const erin = await created('/consumers/erin/key-auth', { key: 'erin-key' });
    const mallory = await created('/consumers/erin/key-auth', { key: 'mallory-key' });
    const db = database.get();
    const [digest] = await db.query<{ key_digest: string }>('SELECT key_digest FROM keyauth_credentials WHERE id = $1', [erin.id]);
    await db.query('UPDATE keyauth_credentials SET key_digest = NULL WHERE id = $1', [erin.id]);
    await db.query('UPDATE keyauth_credentials SET key_digest = $1 WHERE id = $2', [digest!.key_digest, mallory.id]);
    expect((await api.get('/key-auths/erin-key')).status).toBe(404);
    expect((await api.get('/consumers/erin/key-auth/erin-key')).status).toBe(404);
    expect((await api.patch('/key-auths/erin-key', { json: { tags: ['x'] } })).status).toBe(404);
    // By id both rows are still what they are.
    expect((await api.get(`/key-auths/${String(mallory.id)}`)).json).toMatchObject({ key: 'mallory-key', tags: null });
  });
});
