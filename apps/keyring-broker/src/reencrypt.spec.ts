import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { Secret, type DataKey } from '@keygate/crypto';
import type { RunView } from '@keygate/keyring';
import { AppProcess, httpClient, redisPrefix, TcpProxy, testServices, useTestDatabase, type HttpClient } from '@keygate/testing';

const database = useTestDatabase();
const secret = randomBytes(24).toString('base64url');
const prefix = redisPrefix();
const nodes: AppProcess[] = [];
jest.setTimeout(180_000);

const env = (extra: Record<string, string> = {}) => ({
  ...database.get().env(),
  KONG_KEYRING_ENABLED: 'on',
  KONG_KEYRING_CLUSTER_SECRET: secret,
  KONG_REDIS_PREFIX: prefix,
  KONG_KEYRING_REENCRYPT_BATCH_SIZE: '200',
  ...extra,
});

async function start(app: 'admin' | 'keyring-broker', extra: Record<string, string> = {}): Promise<AppProcess> {
  const node = await AppProcess.start(app, { env: env(extra) });
  nodes.push(node);
  return node;
}

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
});

async function until(api: HttpClient, ok: (run: RunView) => boolean, what: string, timeoutMs = 60_000): Promise<RunView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = (await api.get<RunView>('/keyring/reencrypt')).json;
    if (ok(run)) return run;
    if (Date.now() > deadline) throw new Error(`${what}: last ${JSON.stringify(run)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const rowsUnder = async (keyId: string) =>
  (await database.get().query<{ n: number }>("SELECT count(*)::int AS n FROM basicauth_credentials WHERE password LIKE $1", [`$ke$_$-${keyId}-%`]))[0]!.n;

describe('keyring re-encryption jobs', () => {
  let admin: AppProcess;
  let api: HttpClient;
  let keyA: DataKey;

  it('queues the job with the activation even without a worker, refuses to remove a key rows still use, and runs once a broker is up', async () => {
    admin = await start('admin');
    api = httpClient(admin.url('admin'));
    const a = (await api.post<{ id: string; key: string }>('/keyring/generate')).json;
    keyA = { id: a.id, key: new Secret(Buffer.from(a.key, 'base64')) };
    await api.post('/keyring/activate', { form: { key: a.id } });
    await database.get().seedBasicAuth(1000, keyA, 'seed');
    // Kong's format under a key Keygate generated (a downgrade forgery), plaintext from before the
    // keyring (accepted: the broker runs with keyring_accept_plaintext), and one tampered value.
    const kong = await database.get().seedBasicAuth(1, keyA, 'kong');
    await database.get().query("UPDATE basicauth_credentials SET password = replace(password, '$ke$2$', '$ke$1$') WHERE id = $1", [kong[0]]);
    const plain = await database.get().seedBasicAuth(1, keyA, 'plain');
    await database.get().query("UPDATE basicauth_credentials SET password = 'da61c0083b6d19ef3db2490d0da96a71572da0fa' WHERE id = $1", [plain[0]]);
    const [tampered] = await database.get().seedBasicAuth(1, keyA, 'tampered');
    const tamperedBefore = (await database.get().query<{ password: string }>('SELECT password FROM basicauth_credentials WHERE id = $1', [tampered]))[0]!.password;
    // Always a change: overwriting two nonce digits with 'ff' was a no-op when they were 'ff' already (1 run in 256).
    await database.get().query(
      "UPDATE basicauth_credentials SET password = overlay(password placing CASE WHEN substr(password, 60, 2) = 'ff' THEN '00' ELSE 'ff' END from 60 for 2) WHERE id = $1",
      [tampered],
    );
    expect((await database.get().query<{ password: string }>('SELECT password FROM basicauth_credentials WHERE id = $1', [tampered]))[0]!.password).not.toBe(tamperedBefore);

    const b = (await api.post<{ id: string }>('/keyring/generate')).json;
    expect((await api.post('/keyring/activate', { form: { key: b.id } })).status).toBe(204);
    const queued = (await api.get<RunView>('/keyring/reencrypt')).json;
    expect(queued).toMatchObject({ state: 'queued', target_key_id: b.id, enqueued: false });
    // One for each activation (A, then B): both wait in the outbox until a relay runs.
    expect(await database.get().query('SELECT count(*)::int AS n FROM job_outbox WHERE enqueued_at IS NULL')).toEqual([{ n: 2 }]);

    const refused = await api.post<{ message: string; rows: Record<string, number> }>('/keyring/remove', { form: { key: a.id } });
    expect(refused.status).toBe(409);
    // 1000 + the Kong-format row + the tampered one (the plaintext row uses no key).
    expect(refused.json.rows).toEqual({ basicauth_credentials: 1002 });
    expect(refused.json.message).toContain('POST /keyring/reencrypt');

    const broker = await start('keyring-broker', { KONG_KEYRING_ACCEPT_PLAINTEXT: 'on' });
    const done = await until(api, (r) => r.state === 'done', 'run finished');
    expect(done.tables.basicauth_credentials).toMatchObject({ rewritten: 1001, failed: 2, remaining: 0 });
    expect(done.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ table: 'basicauth_credentials', id: tampered, key_id: a.id }),
        expect.objectContaining({ table: 'basicauth_credentials', id: kong[0], field: 'password', key_id: a.id, reason: expect.stringContaining('not imported from Kong') }),
      ]),
    );
    expect(await rowsUnder(a.id)).toBe(2); // the tampered and the forged row, untouched
    expect(await rowsUnder(b.id)).toBe(1001);
    expect((await database.get().query<{ password: string }>('SELECT password FROM basicauth_credentials WHERE id = $1', [kong[0]]))[0]!.password).toMatch(/^\$ke\$1\$-/);
    // The accepted plaintext is upgraded and its row id logged (never the value).
    await broker.waitForLine((l) => l.includes('re-encryption upgraded') && l.includes('"from":"plaintext"') && l.includes(plain[0]!));
    const read = await api.get<{ password: string }>(`/basic-auths/${plain[0]}`);
    expect(read.json.password).toBe('da61c0083b6d19ef3db2490d0da96a71572da0fa');
    const view = (await api.get<{ usage: Record<string, Record<string, number>> }>('/keyring')).json;
    expect(view.usage[b.id]).toEqual({ basicauth_credentials: 1001 });
    expect(view.usage[a.id]).toEqual({ basicauth_credentials: 2 });

    await database.get().query('DELETE FROM basicauth_credentials WHERE id = ANY($1::uuid[])', [[tampered, kong[0]]]);
    expect((await api.post('/keyring/remove', { form: { key: a.id } })).status).toBe(204);
  });

  it('is idempotent: a second run rewrites nothing', async () => {
    const started = await api.post<RunView>('/keyring/reencrypt');
    expect(started.status).toBe(202);
    const done = await until(api, (r) => r.id === started.json.id && r.state === 'done', 'second run');
    expect(done.tables.basicauth_credentials).toMatchObject({ rewritten: 0, skipped: 1001 });
  });

  it('resumes from its checkpoint after the worker is killed, losing nothing', async () => {
    const broker = nodes.find((n) => n.app === 'keyring-broker')!;
    const c = (await api.post<{ id: string; key: string }>('/keyring/generate')).json;
    await database.get().seedBasicAuth(8000, { id: c.id, key: new Secret(Buffer.from(c.key, 'base64')) }, 'kill');
    const d = (await api.post<{ id: string }>('/keyring/generate')).json;
    await api.post('/keyring/activate', { form: { key: d.id } });
    // Every table's total is known from the start, so progress is meaningful at once.
    const started = await until(api, (r) => r.target_key_id === d.id && r.state === 'running', 'run started');
    expect(started.tables.basicauth_credentials?.total).toBe(9001);
    await until(api, (r) => r.target_key_id === d.id && r.state === 'running' && r.scanned > 400, 'run in progress');
    broker.signal('SIGKILL');
    await broker.exited;
    const halfway = (await api.get<RunView>('/keyring/reencrypt')).json;
    expect(halfway.state).toBe('running');
    await start('keyring-broker');
    const done = await until(api, (r) => r.target_key_id === d.id && r.state === 'done', 'resumed run');
    expect(done.scanned).toBeGreaterThanOrEqual(9001);
    expect(await rowsUnder(d.id)).toBe(9001);
    const sample = (await database.get().query<{ id: string }>('SELECT id FROM basicauth_credentials ORDER BY random() LIMIT 5'));
    for (const row of sample) expect((await api.get(`/basic-auths/${row.id}`)).status).toBe(200);
  });

  it('stops a run early when another key is activated; the newer run finishes', async () => {
    const e = (await api.post<{ id: string }>('/keyring/generate')).json;
    const f = (await api.post<{ id: string }>('/keyring/generate')).json;
    await api.post('/keyring/activate', { form: { key: e.id } });
    await api.post('/keyring/activate', { form: { key: f.id } });
    const done = await until(api, (r) => r.target_key_id === f.id && r.state === 'done', 'newer run');
    expect(done.state).toBe('done');
    const first = (await database.get().query<{ state: string }>('SELECT state FROM keyring_reencrypt_runs WHERE target_key_id = $1', [e.id]))[0]!;
    expect(['superseded', 'done']).toContain(first.state);
    expect(await rowsUnder(f.id)).toBe(9001);
  });

  it('enqueues a job requested while Redis was unreachable once it is back, and survives a database cut mid-run', async () => {
    const redis = new URL(testServices().redisUrl);
    const redisProxy = new TcpProxy(redis.hostname, Number(redis.port || 6379));
    const pgProxy = new TcpProxy(testServices().pg.host, testServices().pg.port);
    const redisPort = await redisProxy.start();
    const pgPort = await pgProxy.start();
    for (const n of nodes.filter((x) => x.app === 'keyring-broker')) await n.stop();
    const broker = await start('keyring-broker', { KONG_REDIS_URL: `redis://127.0.0.1:${redisPort}`, KONG_PG_PORT: String(pgPort), KONG_PG_TIMEOUT: '2000' });
    try {
      await redisProxy.cut();
      const g = (await api.post<{ id: string }>('/keyring/generate')).json;
      await api.post('/keyring/activate', { form: { key: g.id } });
      await broker.waitForLine((line) => line.includes('Redis refused the job'), 20_000);
      expect((await api.get<RunView>('/keyring/reencrypt')).json).toMatchObject({ target_key_id: g.id, enqueued: false });
      await redisProxy.restore();
      await until(api, (r) => r.target_key_id === g.id && r.state === 'running' && r.scanned > 0, 'run started after Redis came back');
      await pgProxy.cut();
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await pgProxy.restore();
      const done = await until(api, (r) => r.target_key_id === g.id && r.state === 'done', 'run finished after the database came back', 90_000);
      expect(done.scanned).toBeGreaterThan(0);
      expect(await rowsUnder(g.id)).toBe(9001);
    } finally {
      await broker.stop();
      await redisProxy.stop();
      await pgProxy.stop();
    }
  });

  it('resumes a run whose job Redis lost (restarted without persistence) while it waited', async () => {
    await start('keyring-broker');
    // Hold the cluster-wide re-encryption lock, so the job waits in Redis (retried with backoff).
    const { pg } = testServices();
    const holder = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: database.get().settings().pg_database });
    await holder.connect();
    const redis = new Redis(testServices().redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await holder.query('SELECT pg_advisory_lock(7263548114)');
      const h = (await api.post<{ id: string }>('/keyring/generate')).json;
      await api.post('/keyring/activate', { form: { key: h.id } });
      await until(api, (r) => r.target_key_id === h.id && r.enqueued, 'job enqueued');
      await new Promise((resolve) => setTimeout(resolve, 1500));
      // What a Redis restart without persistence loses: every key of our queues.
      await redis.connect();
      const keys = await redis.keys(`${prefix}:*`);
      expect(keys.length).toBeGreaterThan(0);
      await redis.del(...keys);
      await holder.query('SELECT pg_advisory_unlock(7263548114)');
      const done = await until(api, (r) => r.target_key_id === h.id && r.state === 'done', 'run resumed after its job was lost', 90_000);
      expect(done.state).toBe('done');
      expect(await rowsUnder(h.id)).toBe(9001);
    } finally {
      redis.disconnect();
      await holder.end();
    }
  });
});
