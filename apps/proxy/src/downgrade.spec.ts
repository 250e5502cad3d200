import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Client } from 'pg';
import type { RunView } from '@keygate/keyring';
import { AppProcess, plantedSecret, redisPrefix, rsaKeyFiles, useTestDatabase } from '@keygate/testing';
import { call, Cluster, echoServer, eventually } from '../test/harness';

/**
 * The attacker holds a database login with table write access (a leaked app credential) and a
 * consumer of their own. They write credentials for the victim in a weaker format than `$ke$2$`:
 * plaintext, or Kong's `$ke$1$` forged from the keystream of their own `$ke$2$` value.
 */
const database = useTestDatabase();
const rsa = rsaKeyFiles();
jest.setTimeout(120_000);
let echo: Awaited<ReturnType<typeof echoServer>>;
let cluster: Cluster;
let attacker: Client;
const env = () => ({
  ...database.get().env(),
  KONG_KEYRING_ENABLED: 'on',
  KONG_KEYRING_PUBLIC_KEY: rsa.publicPath,
  KONG_KEYRING_PRIVATE_KEY: rsa.privatePath,
  KONG_KEYRING_BLOB_PATH: join(rsa.dir, 'keyring.blob'),
});
const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;
const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
const stored = async (table: string, id: string, column: string) =>
  (await database.get().query<{ value: string }>(`SELECT ${column} AS value FROM ${table} WHERE id = $1`, [id]))[0]!.value;

/**
 * `$ke$2$`'s GCM data blocks use the keystream that `$ke$1$` (CTR from counter 2) reads with: one
 * known plaintext and its value give the keystream, and so a `$ke$1$` value for any chosen text.
 */
function forgeV1(known: string, knownPlain: string, chosen: string): string {
  const [, keyId, nonce, body] = known.split('-') as [string, string, string, string];
  const ct = Buffer.from(body, 'hex').subarray(0, Buffer.byteLength(knownPlain));
  const plain = Buffer.from(knownPlain);
  const wanted = Buffer.from(chosen);
  const forged = Buffer.alloc(wanted.length, 0).map((_, i) => ct[i]! ^ plain[i]! ^ wanted[i]!);
  return `$ke$1$-${keyId}-${nonce}-${Buffer.from(forged).toString('hex')}`;
}

const malloryKey = `mallory-${randomBytes(12).toString('hex')}`;
const malloryPassword = plantedSecret('mallory-password');
const aliceKey = plantedSecret('alice-key');
const forged = {
  plainKey: { id: randomUUID(), secret: `forged-plain-${randomBytes(8).toString('hex')}` },
  v1Key: { id: randomUUID(), secret: `forged-v1-${randomBytes(10).toString('hex')}`.slice(0, malloryKey.length) },
  plainBasic: { id: randomUUID(), username: 'forged-plain', password: 'attacker-pw-1' },
  v1Basic: { id: randomUUID(), username: 'forged-v1', password: 'attacker-pw-2' },
};
let alice: { id: string };

beforeAll(async () => {
  echo = await echoServer();
  cluster = await Cluster.start(env());
  const { api } = cluster;
  await api.post('/services', { form: { name: 'echo', url: echo.url } });
  await api.post('/services/echo/routes', { json: { name: 'basic', paths: ['/basic'] } });
  await api.post('/services/echo/routes', { json: { name: 'keyed', paths: ['/keyed'] } });
  await api.post('/routes/basic/plugins', { form: { name: 'basic-auth' } });
  await api.post('/routes/keyed/plugins', { form: { name: 'key-auth' } });
  alice = (await api.post<{ id: string }>('/consumers', { form: { username: 'alice' } })).json;
  await api.post('/consumers/alice/key-auth', { form: { key: aliceKey } });
  const mallory = (await api.post<{ id: string }>('/consumers', { form: { username: 'mallory' } })).json;
  const mk = (await api.post<{ id: string }>('/consumers/mallory/key-auth', { form: { key: malloryKey } })).json;
  const mb = (await api.post<{ id: string }>('/consumers/mallory/basic-auth', { form: { username: 'mallory', password: malloryPassword } })).json;

  // What the attacker can do with their own credentials and a database login.
  attacker = await database.get().attacker({ tables: 'write' });
  const myKey = await stored('keyauth_credentials', mk.id, 'key');
  const myHash = await stored('basicauth_credentials', mb.id, 'password');
  const insertKey = 'INSERT INTO keyauth_credentials (id, created_at, consumer_id, key) VALUES ($1, now(), $2, $3)';
  const insertBasic = 'INSERT INTO basicauth_credentials (id, created_at, consumer_id, username, password) VALUES ($1, now(), $2, $3, $4)';
  await attacker.query(insertKey, [forged.plainKey.id, alice.id, forged.plainKey.secret]);
  await attacker.query(insertKey, [forged.v1Key.id, alice.id, forgeV1(myKey, malloryKey, forged.v1Key.secret)]);
  await attacker.query(insertBasic, [forged.plainBasic.id, alice.id, forged.plainBasic.username, sha1(`${forged.plainBasic.password}${alice.id}`)]);
  await attacker.query(insertBasic, [
    forged.v1Basic.id,
    alice.id,
    forged.v1Basic.username,
    forgeV1(myHash, sha1(`${malloryPassword}${mallory.id}`), sha1(`${forged.v1Basic.password}${alice.id}`)),
  ]);
});
afterAll(async () => {
  await cluster?.stop();
  await echo?.close();
});

describe('format downgrade by an attacker with table write access', () => {
  const rows = () => [
    { table: 'keyauth_credentials', id: forged.plainKey.id, field: 'key', code: 'PLAINTEXT_REFUSED' },
    { table: 'keyauth_credentials', id: forged.v1Key.id, field: 'key', code: 'LEGACY_FORMAT_REFUSED' },
    { table: 'basicauth_credentials', id: forged.plainBasic.id, field: 'password', code: 'PLAINTEXT_REFUSED' },
    { table: 'basicauth_credentials', id: forged.v1Basic.id, field: 'password', code: 'LEGACY_FORMAT_REFUSED' },
  ];

  it('the proxy authenticates none of the forgeries as the victim (401) and warns with table, row, field and code', async () => {
    const proxy = await AppProcess.start('proxy', { env: { ...env(), KONG_PROXY_WORKERS: '1' } });
    try {
      const base = proxy.url('proxy');
      // The genuine credentials still work, so a 401 below is the forgery's own.
      expect((await call(base, '/keyed', { headers: { apikey: aliceKey } })).json.headers!['x-consumer-username']).toBe('alice');
      expect((await call(base, '/basic', { headers: { authorization: basic('mallory', malloryPassword) } })).status).toBe(200);
      expect((await call(base, '/keyed', { headers: { apikey: forged.plainKey.secret } })).status).toBe(401);
      expect((await call(base, '/keyed', { headers: { apikey: forged.v1Key.secret } })).status).toBe(401);
      expect((await call(base, '/basic', { headers: { authorization: basic(forged.plainBasic.username, forged.plainBasic.password) } })).status).toBe(401);
      expect((await call(base, '/basic', { headers: { authorization: basic(forged.v1Basic.username, forged.v1Basic.password) } })).status).toBe(401);
      for (const row of rows()) {
        const line = proxy.lines.find((l) => l.includes('skipped a row') && l.includes(row.id));
        expect(line && JSON.parse(line)).toMatchObject({ level: 'warn', table: row.table, row_id: row.id, field: row.field, code: row.code });
      }
      expect(proxy.output).not.toContain(forged.plainKey.secret);
    } finally {
      await proxy.stop();
    }
  });

  it('the Admin API does not present them as valid values: 409 naming the row, never the value', async () => {
    for (const row of rows()) {
      const path = row.table === 'keyauth_credentials' ? `/key-auths/${row.id}` : `/basic-auths/${row.id}`;
      const res = await cluster.api.get<{ message: string }>(path);
      expect(res.status).toBe(409);
      expect(res.json.message).toContain(`${row.table} row ${row.id}: its ${row.field} is not an authenticated $ke$2$ value`);
    }
    expect(cluster.admin.output).not.toContain(forged.plainKey.secret);
  });

  it('re-encryption does not rewrite them as $ke$2$; it lists them in the run errors', async () => {
    const before = await Promise.all(rows().map((r) => stored(r.table, r.id, r.field)));
    const broker = await AppProcess.start('keyring-broker', { env: { ...env(), KONG_REDIS_PREFIX: redisPrefix() } });
    try {
      const started = await cluster.api.post<RunView>('/keyring/reencrypt');
      expect(started.status).toBe(202);
      const done = await eventually(async () => (await cluster.api.get<RunView>('/keyring/reencrypt')).json, (r) => r.state === 'done', 60_000);
      expect(done.errors).toEqual(expect.arrayContaining(rows().map((r) => expect.objectContaining({ table: r.table, id: r.id, field: r.field }))));
      expect(await Promise.all(rows().map((r) => stored(r.table, r.id, r.field)))).toEqual(before);
      expect(broker.lines.some((l) => l.includes('re-encryption upgraded'))).toBe(false);
    } finally {
      await broker.stop();
    }
  });
});
