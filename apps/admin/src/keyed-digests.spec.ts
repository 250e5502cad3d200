import { createHash, createHmac, createPrivateKey, createPublicKey, getHashes, randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encryptField, keyedDigest, newDataKey, publicKeyFingerprint, Secret, unkeyedDigest } from '@keygate/crypto';
import { exportKeyring, importKeyring, INDEX_KEY_ID, sealForRecovery } from '@keygate/keyring';
import { AppProcess, httpClient, rsaKeyFiles, useTestDatabase, type HttpClient } from '@keygate/testing';

// The attacker holds a database login that can read every table, and a dictionary of weak keys.
const database = useTestDatabase();
const rsa = rsaKeyFiles();
const secret = randomBytes(24).toString('base64url');
const WEAK = 'password1';
const DICTIONARY = ['123456', 'letmein', 'qwerty', 'admin', 'secret', 'password', WEAK, 'iloveyou', 'welcome1', 'changeme'];
const nodes: AppProcess[] = [];

async function start(extra: Record<string, string> = {}): Promise<{ node: AppProcess; api: HttpClient }> {
  const node = await AppProcess.start('admin', {
    env: {
      ...database.get().env(),
      KONG_KEYRING_ENABLED: 'on',
      KONG_KEYRING_STRATEGY: 'cluster',
      KONG_KEYRING_CLUSTER_SECRET: secret,
      KONG_KEYRING_FETCH_TIMEOUT: '2s',
      KONG_KEYRING_RECOVERY_PUBLIC_KEY: rsa.publicPath,
      KONG_KEYRING_PUBLIC_KEY: rsa.publicPath,
      KONG_KEYRING_PRIVATE_KEY: rsa.privatePath,
      ...extra,
    },
  });
  nodes.push(node);
  return { node, api: httpClient(node.url('admin')) };
}

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
});

async function until<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (let deadline = Date.now() + 10_000; ; ) {
    const value = await probe();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not reached; last ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Every string the attacker can read in the database. */
async function dump(): Promise<string[]> {
  const attacker = await (await database.get()).attacker({ tables: 'write' });
  const tables = (await attacker.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public'")).rows.map((r) => r.t);
  const values: string[] = [];
  for (const t of tables) {
    for (const row of (await attacker.query(`SELECT * FROM "${t}"`)).rows as Record<string, unknown>[]) {
      for (const v of Object.values(row)) if (v !== null) values.push(typeof v === 'string' ? v : JSON.stringify(v));
    }
  }
  return values;
}

/** What an offline guesser computes: unkeyed hashes of the guess, and HMACs keyed with anything readable. */
function guesses(guess: string, readable: string[]): string[] {
  const inputs = [guess, `keygate:key-auth:${guess}`, `keygate:lookup-digest:v1\0key-auth\0${guess}`];
  const out: string[] = [];
  for (const algorithm of ['md5', 'sha1', 'sha256', 'sha512', 'sha3-256'].filter((a) => getHashes().includes(a))) {
    for (const input of inputs) {
      const d = createHash(algorithm).update(input).digest();
      out.push(d.toString('hex'), d.toString('base64'), d.toString('base64url'));
    }
  }
  for (const key of readable) for (const input of inputs) out.push(createHmac('sha256', key).update(input).digest('base64url'));
  return out;
}

/** The index key as the operator's export holds it (the attacker has no export). */
let exported: Secret<Buffer> | undefined;
const digestOf = (key: string) => keyedDigest(exported as Secret<Buffer>, 'key-auth', key);

describe('keyed key-auth digests, as an attacker holding a database login', () => {
  let a: { node: AppProcess; api: HttpClient };
  const legacyId = randomUUID();

  it('a cluster from before index keys: the first node holding the keyring makes the index key and migrates the old digest', async () => {
    // The previous version's state: one data key (active, backed up), a blob, a credential with an unkeyed digest.
    const dataKey = { id: 'oldKey01', key: new Secret(newDataKey()) };
    const blobPath = join(rsa.dir, 'old.blob');
    writeFileSync(blobPath, exportKeyring([dataKey], dataKey.id, createPublicKey(rsa.publicPem)));
    const db = database.get();
    await db.query("INSERT INTO keyring_meta (id, state) VALUES ($1, 'active')", [dataKey.id]);
    await db.query('INSERT INTO keyring_keys (id, recovery_key_id, key_encrypted) VALUES ($1, $2, $3)', [
      dataKey.id,
      publicKeyFingerprint(createPublicKey(rsa.publicPem)),
      sealForRecovery(dataKey.key.reveal(), createPublicKey(rsa.publicPem)),
    ]);
    const consumer = randomUUID();
    await db.query("INSERT INTO consumers (id, created_at, updated_at, username) VALUES ($1, now(), now(), 'alice')", [consumer]);
    await db.query('INSERT INTO keyauth_credentials (id, created_at, consumer_id, key, key_digest) VALUES ($1, now(), $2, $3, $4)', [
      legacyId,
      consumer,
      encryptField(WEAK, dataKey, { table: 'keyauth_credentials', field: 'key', id: legacyId }),
      unkeyedDigest('key-auth', WEAK),
    ]);

    a = await start({ KONG_KEYRING_BLOB_PATH: blobPath });
    const view = await a.api.get<{ ids: string[]; index_key: string }>('/keyring');
    expect(view.json).toMatchObject({ ids: [dataKey.id], index_key: 'held' });
    expect(a.node.output).toContain('keyring had no index key: generated it');
    expect(a.node.output).toMatch(/"migrated":\{"keyauth_credentials":1\}/);
    // The index key is backed up to the recovery key like a data key, and exported with the keyring.
    expect(await db.query('SELECT id FROM keyring_keys WHERE id = $1', [INDEX_KEY_ID])).toHaveLength(1);
    expect(await db.query('SELECT state FROM keyring_meta WHERE id = $1', [INDEX_KEY_ID])).toEqual([{ state: 'index' }]);
    const blob = importKeyring((await a.api.post<{ data: string }>('/keyring/export')).json.data, createPrivateKey(rsa.privatePem));
    exported = blob.keys.find((k) => k.id === INDEX_KEY_ID)?.key;
    expect(exported?.reveal()).toHaveLength(32);
    expect(await db.query('SELECT key_digest FROM keyauth_credentials WHERE id = $1', [legacyId])).toEqual([{ key_digest: digestOf(WEAK) }]);
  });

  it('cannot confirm a weak key offline: no unkeyed function of it, nor an HMAC under anything in the database, matches', async () => {
    await a.api.post('/consumers', { form: { username: 'bob' } });
    expect((await a.api.post('/consumers/bob/key-auth', { form: { key: 'letmein' } })).status).toBe(201);
    const readable = await dump();
    const attacker = await (await database.get()).attacker({ tables: 'write' });
    const stored = (await attacker.query<{ key_digest: string }>('SELECT key_digest FROM keyauth_credentials')).rows.map((r) => r.key_digest);
    expect(stored).toHaveLength(2);
    for (const digest of stored) {
      expect(digest).toMatch(/^h1:[A-Za-z0-9_-]{43}$/);
      const mac = digest.slice(3);
      let tried = 0;
      for (const guess of DICTIONARY) {
        for (const candidate of guesses(guess, readable)) {
          tried++;
          expect(candidate === digest || candidate === mac).toBe(false);
        }
      }
      expect(tried).toBeGreaterThan(1000);
    }
    // The index key itself is nowhere in the database in clear.
    const key = (exported as Secret<Buffer>).reveal();
    for (const encoding of ['hex', 'base64', 'base64url'] as const) expect(readable.some((v) => v.includes(key.toString(encoding)))).toBe(false);
  });

  it('addresses a credential by its key through the keyed digest (`/key-auths/{key}`), read, update, replace and delete', async () => {
    expect((await a.api.get(`/key-auths/${WEAK}`)).json).toMatchObject({ id: legacyId, key: WEAK });
    await a.api.post('/consumers', { form: { username: 'dana' } });
    const credential = (await a.api.post<{ id: string }>('/consumers/dana/key-auth', { form: { key: 'dana-key' } })).json;
    expect(await database.get().query('SELECT key_digest FROM keyauth_credentials WHERE id = $1', [credential.id])).toEqual([{ key_digest: digestOf('dana-key') }]);
    expect((await a.api.get('/consumers/dana/key-auth/dana-key')).json).toMatchObject({ id: credential.id, key: 'dana-key' });
    expect((await a.api.get('/consumers/alice/key-auth/dana-key')).status).toBe(404);
    expect((await a.api.patch('/key-auths/dana-key', { json: { tags: ['t'] } })).json).toMatchObject({ id: credential.id, tags: ['t'] });
    expect((await a.api.put('/key-auths/dana-key', { json: { consumer: { username: 'dana' } } })).json).toMatchObject({ id: credential.id, tags: null });
    expect((await a.api.delete('/consumers/dana/key-auth/dana-key')).status).toBe(204);
    expect((await a.api.get('/key-auths/dana-key')).status).toBe(404);
  });

  it('does not answer for a key through a digest moved onto another row in the database', async () => {
    const post = async (key: string) => (await a.api.post<{ id: string }>('/consumers/dana/key-auth', { form: { key } })).json.id;
    const erin = await post('erin-key');
    const mallory = await post('mallory-key');
    const db = database.get();
    await db.query('UPDATE keyauth_credentials SET key_digest = NULL WHERE id = $1', [erin]);
    await db.query('UPDATE keyauth_credentials SET key_digest = $1 WHERE id = $2', [digestOf('erin-key'), mallory]);
    expect((await a.api.get('/key-auths/erin-key')).status).toBe(404);
    expect((await a.api.get('/consumers/dana/key-auth/erin-key')).status).toBe(404);
    expect((await a.api.patch('/key-auths/erin-key', { json: { tags: ['x'] } })).status).toBe(404);
    expect((await a.api.get(`/key-auths/${mallory}`)).json).toMatchObject({ key: 'mallory-key', tags: null });
  });

  it('keeps uniqueness (409) across a data-key rotation, on a second node that got the keyring from peers, and after recovery on a fresh node', async () => {
    await a.api.post('/consumers', { form: { username: 'carol' } });
    const duplicate = async (api: HttpClient, key: string) => (await api.post('/consumers/carol/key-auth', { form: { key } })).status;
    expect(await duplicate(a.api, WEAK)).toBe(409);

    const generated = await a.api.post<{ id: string }>('/keyring/generate');
    expect((await a.api.post('/keyring/activate', { form: { key: generated.json.id } })).status).toBe(204);
    expect(await duplicate(a.api, WEAK)).toBe(409);
    expect(await duplicate(a.api, 'letmein')).toBe(409);
    expect(await database.get().query('SELECT key_digest FROM keyauth_credentials WHERE id = $1', [legacyId])).toEqual([{ key_digest: digestOf(WEAK) }]);
    expect((await a.api.post('/keyring/activate', { form: { key: INDEX_KEY_ID } })).status).toBe(400);
    expect((await a.api.post('/keyring/remove', { form: { key: INDEX_KEY_ID } })).status).toBe(400);

    const b = await start();
    await until('second node has the keyring', async () => (await b.api.get<{ active?: string; index_key: string }>('/keyring')).json, (v) => v.active === generated.json.id && v.index_key === 'held');
    expect(await duplicate(b.api, WEAK)).toBe(409);
    expect((await b.api.post('/consumers/carol/key-auth', { form: { key: 'qwerty' } })).status).toBe(201);
    expect(await duplicate(a.api, 'qwerty')).toBe(409);

    await Promise.all([a.node.stop(), b.node.stop()]);
    const fresh = await start();
    expect((await fresh.api.get('/keyring')).json).toMatchObject({ index_key: 'missing' });
    expect((await fresh.api.post('/consumers/carol/key-auth', { form: { key: 'fresh-key-1' } })).status).toBe(503);
    const recovered = await fresh.api.post<{ recovered: string[]; index_key: boolean }>('/keyring/recover', { form: { recovery_private_key: rsa.privatePem } });
    expect(recovered.json).toMatchObject({ index_key: true });
    expect(recovered.json.recovered).not.toContain(INDEX_KEY_ID);
    expect(await duplicate(fresh.api, WEAK)).toBe(409);
    expect(await duplicate(fresh.api, 'qwerty')).toBe(409);
    expect(await duplicate(fresh.api, 'fresh-key-1')).toBe(201);
    expect(await database.get().query("SELECT count(*)::int AS n FROM keyauth_credentials WHERE key_digest NOT LIKE 'h1:%'")).toEqual([{ n: 0 }]);
  });
});
