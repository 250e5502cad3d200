import { randomBytes } from 'node:crypto';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppProcess, httpClient, plantedSecret, rsaKeyFiles, useTestDatabase } from '@keygate/testing';
import { call, Cluster, echoServer, eventually } from '../test/harness';

const database = useTestDatabase();
const rsa = rsaKeyFiles();
let echo: Awaited<ReturnType<typeof echoServer>>;
let cluster: Cluster;
const password = plantedSecret('carol-password');
const key = plantedSecret('carol-key');
const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;
const env = () => ({
  ...database.get().env(),
  KONG_KEYRING_ENABLED: 'on',
  KONG_KEYRING_PUBLIC_KEY: rsa.publicPath,
  KONG_KEYRING_PRIVATE_KEY: rsa.privatePath,
  KONG_KEYRING_BLOB_PATH: join(rsa.dir, 'keyring.blob'),
});
const stored = async (table: string, id: string, column: string) =>
  (await database.get().query<{ value: string }>(`SELECT ${column} AS value FROM ${table} WHERE id = $1`, [id]))[0]!.value;
const statusOf = async (node: AppProcess) => (await (await fetch(`${node.url('status')}/status`)).json()) as { proxy: { state: { skipped: Array<Record<string, unknown>> } } };

beforeAll(async () => {
  echo = await echoServer();
  cluster = await Cluster.start(env());
  const { api } = cluster;
  await api.post('/services', { form: { name: 'echo', url: echo.url } });
  await api.post('/services/echo/routes', { json: { name: 'basic', paths: ['/basic'] } });
  await api.post('/services/echo/routes', { json: { name: 'keyed', paths: ['/keyed'] } });
  await api.post('/routes/basic/plugins', { form: { name: 'basic-auth' } });
  await api.post('/routes/keyed/plugins', { form: { name: 'key-auth' } });
  await api.post('/consumers', { form: { username: 'carol' } });
});
afterAll(async () => {
  await cluster?.stop();
  await echo?.close();
});

describe('credentials encrypted with the keyring', () => {
  let basicId: string;
  let keyId: string;

  it('authenticates basic-auth against the encrypted hash ($ke$2$ in the table), and refuses a wrong password', async () => {
    basicId = (await cluster.api.post<{ id: string }>('/consumers/carol/basic-auth', { form: { username: 'carol', password } })).json.id;
    expect(await stored('basicauth_credentials', basicId, 'password')).toMatch(/^\$ke\$2\$-/);
    const ok = await cluster.until('/basic', 200, { headers: { authorization: basic('carol', password) } });
    expect(ok.json.headers!['x-consumer-username']).toBe('carol');
    expect((await call(cluster.proxy, '/basic', { headers: { authorization: basic('carol', `${password}x`) } })).status).toBe(401);
  });

  it('authenticates key-auth against the encrypted key', async () => {
    keyId = (await cluster.api.post<{ id: string }>('/consumers/carol/key-auth', { form: { key } })).json.id;
    expect(await stored('keyauth_credentials', keyId, 'key')).toMatch(/^\$ke\$2\$-/);
    await cluster.until('/keyed', 200, { headers: { apikey: key } });
  });

  it('skips a credential encrypted with a key this proxy lacks, logs table, row and key id once, and serves everyone else', async () => {
    const generated = (await cluster.api.post<{ id: string }>('/keyring/generate')).json;
    expect((await cluster.api.post('/keyring/activate', { form: { key: generated.id } })).status).toBe(204);
    await cluster.api.post('/consumers', { form: { username: 'dan' } });
    const danKey = plantedSecret('dan-key');
    const dan = (await cluster.api.post<{ id: string }>('/consumers/dan/key-auth', { form: { key: danKey } })).json;
    expect(await stored('keyauth_credentials', dan.id, 'key')).toContain(`$ke$2$-${generated.id}-`);
    const proxy = cluster.proxies[0]!;
    const line = await proxy.waitForLine((l) => l.includes('skipped a row') && l.includes(dan.id));
    expect(JSON.parse(line)).toMatchObject({ table: 'keyauth_credentials', row_id: dan.id, key_id: generated.id, code: 'KEY_NOT_AVAILABLE' });
    expect((await call(cluster.proxy, '/keyed', { headers: { apikey: danKey } })).status).toBe(401);
    expect((await call(cluster.proxy, '/keyed', { headers: { apikey: key } })).status).toBe(200);
    // A basic-auth username is not secret: its request says the key is missing (503), not 401.
    const danPassword = plantedSecret('dan-password');
    const danBasic = (await cluster.api.post<{ id: string }>('/consumers/dan/basic-auth', { form: { username: 'dan', password: danPassword } })).json;
    await proxy.waitForLine((l) => l.includes('skipped a row') && l.includes(danBasic.id));
    for (const pw of [danPassword, 'wrong']) {
      const refused = await call(cluster.proxy, '/basic', { headers: { authorization: basic('dan', pw) } });
      expect(refused.status).toBe(503);
      expect(refused.json.message).toBe(`encryption key ${generated.id} is not available on this node; recover it (POST /keyring/recover) or import it (POST /keyring/import)`);
    }
    expect((await call(cluster.proxy, '/basic', { headers: { authorization: basic('carol', password) } })).status).toBe(200);
    expect((await statusOf(proxy)).proxy.state.skipped).toEqual([
      { table: 'keyauth_credentials', id: dan.id, key_id: generated.id, code: 'KEY_NOT_AVAILABLE' },
      { table: 'basicauth_credentials', id: danBasic.id, key_id: generated.id, code: 'KEY_NOT_AVAILABLE' },
    ]);
  });

  it('skips a row whose ciphertext fails authentication (at load), once, and keeps serving', async () => {
    const value = await stored('basicauth_credentials', basicId, 'password');
    const i = value.length - 5;
    await database.get().query('UPDATE basicauth_credentials SET password = $1 WHERE id = $2', [value.slice(0, i) + (value[i] === 'a' ? 'b' : 'a') + value.slice(i + 1), basicId]);
    const fresh = await AppProcess.start('proxy', { env: { ...env(), KONG_PROXY_WORKERS: '1' } });
    try {
      const base = fresh.url('proxy');
      expect((await call(base, '/basic', { headers: { authorization: basic('carol', password) } })).status).toBe(401);
      expect((await call(base, '/keyed', { headers: { apikey: key } })).status).toBe(200);
      const skipped = fresh.lines.filter((l) => l.includes('skipped a row') && l.includes(basicId));
      expect(skipped).toHaveLength(1);
      expect(JSON.parse(skipped[0]!)).toMatchObject({ table: 'basicauth_credentials', row_id: basicId, code: 'FIELD_INTEGRITY', key_id: value.split('-')[1] });
      // A resync (forced by cutting its LISTEN connection) reads the row again but does not log it again.
      await database.get().query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'keygate-proxy-listen' AND datname = current_database()");
      await fresh.waitForLine((l) => l.includes('"reason":"bus reconnected"'));
      expect(fresh.lines.filter((l) => l.includes('skipped a row') && l.includes(basicId))).toHaveLength(1);
    } finally {
      await fresh.stop();
    }
  });

  it('logs neither passwords nor keys', () => {
    for (const node of [cluster.admin, ...cluster.proxies]) {
      expect(node.output).not.toContain(password);
      expect(node.output).not.toContain(key);
    }
  });
});

describe('keys arriving later (cluster keyring exchange)', () => {
  it('reads again the rows it skipped when the missing key arrives from a peer', async () => {
    const secret = randomBytes(24).toString('base64url');
    const member = (blob: string) => ({ ...env(), KONG_KEYRING_CLUSTER_SECRET: secret, KONG_KEYRING_BLOB_PATH: join(rsa.dir, blob) });
    // The only holder of a new key writes a credential with it, then goes away.
    // It starts with the cluster's keys from a copy of a member's blob file (importing the export
    // would be refused: those ids are already the cluster's, and import never overwrites).
    copyFileSync(join(rsa.dir, 'keyring.blob'), join(rsa.dir, 'holder.blob'));
    let admin = await AppProcess.start('admin', { env: member('holder.blob') });
    const api = () => httpClient(admin.url('admin'));
    const late = plantedSecret('late-key');
    expect((await api().get<{ ids: string[] }>('/keyring')).json.ids.length).toBeGreaterThan(0);
    const fresh = (await api().post<{ id: string }>('/keyring/generate')).json;
    await api().post('/keyring/activate', { form: { key: fresh.id } });
    await api().post('/consumers', { form: { username: 'late' } });
    const credential = (await api().post<{ id: string }>('/consumers/late/key-auth', { form: { key: late } })).json;
    await admin.stop();
    // A proxy that holds no key yet: it skips that row (and every other encrypted one).
    const proxy = await AppProcess.start('proxy', { env: { ...member('proxy.blob'), KONG_PROXY_WORKERS: '1' } });
    try {
      expect((await statusOf(proxy)).proxy.state.skipped).toContainEqual({ table: 'keyauth_credentials', id: credential.id, key_id: fresh.id, code: 'KEY_NOT_AVAILABLE' });
      expect((await call(proxy.url('proxy'), '/keyed', { headers: { apikey: late } })).status).toBe(401);
      // It asked its peers for the key; nobody up had it, and the log says what to do.
      await proxy.waitForLine((l) => l.includes(`no peer sent key ${fresh.id} within keyring_fetch_timeout`));
      // The holder comes back and sends its keys to the admitted members.
      admin = await AppProcess.start('admin', { env: member('holder.blob') });
      await eventually(() => call(proxy.url('proxy'), '/keyed', { headers: { apikey: late } }), (r) => r.status === 200, 15_000);
      // Only the row tampered with above stays skipped.
      expect((await statusOf(proxy)).proxy.state.skipped).toEqual([expect.objectContaining({ table: 'basicauth_credentials', code: 'FIELD_INTEGRITY' })]);
    } finally {
      await Promise.all([admin.stop(), proxy.stop()]);
    }
  });
});
