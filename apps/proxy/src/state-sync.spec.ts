import { AppProcess, httpClient, TcpProxy, testServices, useTestDatabase } from '@keygate/testing';
import { call, Cluster, echoServer, eventually } from '../test/harness';

const database = useTestDatabase();
let echo: Awaited<ReturnType<typeof echoServer>>;

beforeAll(async () => {
  echo = await echoServer();
});
afterAll(() => echo?.close());

async function metric(node: AppProcess, name: string): Promise<number> {
  const text = await (await fetch(`${node.url('status')}/metrics`)).text();
  // The sum over the metric's series (labels).
  const lines = text.split('\n').filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  if (lines.length === 0) throw new Error(`metric ${name} not found in:\n${text}`);
  return lines.reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

async function status(node: AppProcess) {
  return (await (await fetch(`${node.url('status')}/status`)).json()) as {
    proxy: { workers: { ready: number; list: Array<{ pid: number; state_version: number; restarts: number; ready: boolean }> }; state: { version: number; last_sync: string; entities: Record<string, number> } };
    database: { reachable: boolean };
  };
}

async function configure(cluster: Cluster, key: string) {
  const { api } = cluster;
  await api.post('/services', { form: { name: 'echo', url: echo.url } });
  await api.post('/services/echo/routes', { json: { name: 'echo', paths: ['/echo'] } });
  await api.post('/consumers', { form: { username: 'carol' } });
  const credential = (await api.post<{ id: string }>('/consumers/carol/key-auth', { form: { key } })).json;
  await api.post('/routes/echo/plugins', { form: { name: 'key-auth' } });
  // Both: the credential is loaded, and so is the plugin (without it the key would pass too).
  await cluster.until('/echo', 401, {});
  await cluster.until('/echo', 200, { headers: { apikey: key } });
  return credential;
}

describe('state in memory', () => {
  it('serves requests without a single database query; the counter moves only with changes', async () => {
    const cluster = await Cluster.start(database.get().env(), { workers: 2 });
    try {
      await configure(cluster, 'zero-query-key');
      const node = cluster.proxies[0]!;
      const stateBefore = await metric(node, 'keygate_proxy_state_db_queries_total');
      const poolBefore = await metric(node, 'keygate_database_queries_total');
      const results = await Promise.all(
        Array.from({ length: 300 }, (_, i) =>
          call(cluster.proxy, i % 3 === 2 ? '/missing' : '/echo', { headers: i % 3 === 0 ? { apikey: 'zero-query-key' } : { apikey: `unknown-${i}` } }),
        ),
      );
      expect(results.map((r) => r.status).sort()).toEqual([...Array(100).fill(200), ...Array(100).fill(401), ...Array(100).fill(404)]);
      expect(await metric(node, 'keygate_proxy_state_db_queries_total')).toBe(stateBefore);
      expect(await metric(node, 'keygate_database_queries_total')).toBe(poolBefore);
      expect(await metric(node, 'kong_http_requests_total')).toBeGreaterThanOrEqual(300);
      expect(await metric(node, 'keygate_auth_failures_total')).toBeGreaterThanOrEqual(100);
      const text = await (await fetch(`${node.url('status')}/metrics`)).text();
      expect(text).toMatch(/kong_http_requests_total\{service="echo",route="echo",code="200",source="upstream"\} \d+/);
      expect(text).toMatch(/keygate_auth_failures_total\{plugin="key-auth",reason="invalid_credentials"\} 100/);
      expect(text).toContain('keygate_keyring_keys ');
      expect(text).toContain('keygate_database_pool_connections{pool="rw",state="idle"}');

      await cluster.api.post('/consumers', { form: { username: 'dave' } });
      await eventually(() => metric(node, 'keygate_proxy_state_db_queries_total'), (n) => n > stateBefore);
      // Both workers applied the change.
      const after = await eventually(() => status(node), (s) => s.proxy.state.entities.consumers === 2 && s.proxy.workers.list.every((w) => w.state_version === s.proxy.state.version));
      expect(after.proxy.workers.ready).toBe(2);
    } finally {
      await cluster.stop();
    }
  });

  it('replaces a worker that dies; the new one serves the current state', async () => {
    const cluster = await Cluster.start(database.get().env(), { workers: 2 });
    try {
      await cluster.until('/echo', 401);
      const before = await status(cluster.proxies[0]!);
      const victim = before.proxy.workers.list[0]!;
      process.kill(victim.pid, 'SIGKILL');
      const after = await eventually(
        () => status(cluster.proxies[0]!),
        (s) => s.proxy.workers.ready === 2 && s.proxy.workers.list.some((w) => w.restarts === 1 && w.pid !== victim.pid && w.state_version === s.proxy.state.version),
      );
      expect(after.proxy.workers.list).toHaveLength(2);
      const results = await Promise.all(Array.from({ length: 20 }, () => call(cluster.proxy, '/echo', { headers: { apikey: 'zero-query-key' } })));
      expect(new Set(results.map((r) => r.status))).toEqual(new Set([200]));
      await cluster.proxies[0]!.waitForLine((l) => l.includes('worker exited; starting a new one'));
    } finally {
      await cluster.stop();
    }
  });
});

describe('PostgreSQL outage', () => {
  it('keeps serving from memory and stays ready; admin writes fail clearly; when PostgreSQL is back the proxy resyncs', async () => {
    const { pg } = testServices();
    const tcp = new TcpProxy(pg.host, pg.port);
    const port = await tcp.start();
    const env = { ...database.get().env(), KONG_PG_PORT: String(port), KONG_PG_TIMEOUT: '2000' };
    const admin = await AppProcess.start('admin', { env });
    const proxy = await AppProcess.start('proxy', { env: { ...env, KONG_PROXY_WORKERS: '1' } });
    try {
      const api = httpClient(admin.url('admin'));
      const base = proxy.url('proxy');
      await api.post('/consumers', { form: { username: 'erin' } });
      const erinKey = (await api.post<{ id: string }>('/consumers/erin/key-auth', { form: { key: 'erin-key' } })).json;
      await eventually(() => call(base, '/echo', { headers: { apikey: 'erin-key' } }), (r) => r.status === 200);
      const syncedBefore = (await status(proxy)).proxy.state.last_sync;

      await tcp.cut();
      expect((await call(base, '/echo', { headers: { apikey: 'erin-key' } })).status).toBe(200);
      expect((await call(base, '/echo', { headers: { apikey: 'zero-query-key' } })).status).toBe(200);
      expect((await call(base, '/echo')).status).toBe(401);
      const write = await api.post('/consumers', { form: { username: 'during-outage' } });
      expect(write.status).toBe(503);
      expect(write.json).toMatchObject({ message: 'The database is currently unavailable' });
      expect((await fetch(`${proxy.url('status')}/status/ready`)).status).toBe(200);
      expect((await status(proxy)).database.reachable).toBe(false);
      // A change the proxy cannot hear of: its LISTEN connection is down.
      await database.get().query('DELETE FROM keyauth_credentials WHERE id = $1', [erinKey.id]);
      expect((await call(base, '/echo', { headers: { apikey: 'erin-key' } })).status).toBe(200);

      await tcp.restore();
      await eventually(() => call(base, '/echo', { headers: { apikey: 'erin-key' } }), (r) => r.status === 401, 30_000);
      await proxy.waitForLine((l) => l.includes('"reason":"bus reconnected"') && l.includes('state loaded'));
      expect((await status(proxy)).proxy.state.last_sync).not.toBe(syncedBefore);
      expect((await api.post('/consumers', { form: { username: 'after-outage' } })).status).toBe(201);
      expect((await call(base, '/echo', { headers: { apikey: 'zero-query-key' } })).status).toBe(200);
    } finally {
      await Promise.all([admin.stop(), proxy.stop()]);
      await tcp.stop();
    }
  });
});
