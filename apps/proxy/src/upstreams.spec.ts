import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { useTestDatabase } from '@keygate/testing';
import { call, Cluster, eventually } from '../test/harness';

const database = useTestDatabase();
jest.setTimeout(180_000);

/** An upstream server that answers with its name (and the status it is told to), on a port it keeps across restarts. */
class Target {
  server: Server | undefined;
  status = 200;
  delayMs = 0;
  hits = 0;
  port = 0;
  constructor(readonly name: string) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      if (req.url === '/health') {
        res.writeHead(this.status === 200 ? 200 : 500).end();
        return;
      }
      this.hits++;
      setTimeout(() => res.writeHead(this.status, { 'x-target': this.name }).end(this.name), this.delayMs);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }
}

let cluster: Cluster;
const targets = [new Target('a'), new Target('b'), new Target('c')];

beforeAll(async () => {
  await Promise.all(targets.map((t) => t.start()));
  cluster = await Cluster.start(database.get().env(), { workers: 1 });
});
afterAll(async () => {
  await cluster?.stop();
  await Promise.all(targets.map((t) => t.stop()));
});

async function upstream(name: string, body: Record<string, unknown>, weights: number[] = [100, 100, 100]): Promise<string> {
  const created = await cluster.api.post<{ id: string }>('/upstreams', { json: { name, ...body } });
  expect(created.status).toBe(201);
  for (const [i, t] of targets.entries()) {
    const res = await cluster.api.post(`/upstreams/${name}/targets`, { json: { target: t.address, weight: weights[i] } });
    expect(res.status).toBe(201);
  }
  await cluster.api.post('/services', { json: { name, host: name, port: 80 } });
  await cluster.api.post(`/services/${name}/routes`, { json: { name, paths: [`/${name}`] } });
  await cluster.until(`/${name}`, 200);
  return created.json.id;
}

const spread = async (path: string, n: number, headers: Record<string, string> = {}) => {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const res = await call(cluster.proxy, path, { headers });
    counts[res.text] = (counts[res.text] ?? 0) + 1;
  }
  return counts;
};

const metrics = async () => (await fetch(`${cluster.proxies[0]!.url('status')}/metrics`)).text();

describe('upstreams and targets on the proxy', () => {
  it('balances round-robin by weight across the targets of the upstream a service names', async () => {
    await upstream('rr', {}, [100, 100, 200]);
    expect(await spread('/rr', 40)).toEqual({ a: 10, b: 10, c: 20 });
  });

  it('sends one hash key to one target (consistent-hashing on a header), and spreads different keys', async () => {
    await upstream('hashed', { hash_on: 'header', hash_on_header: 'x-user' });
    const one = await spread('/hashed', 10, { 'x-user': 'alice' });
    expect(Object.values(one)).toEqual([10]);
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) seen.add((await call(cluster.proxy, '/hashed', { headers: { 'x-user': `user-${i}` } })).text);
    expect(seen.size).toBeGreaterThan(1);
  });

  it('least-connections avoids a target that is busy', async () => {
    await upstream('least', { algorithm: 'least-connections' });
    // The first request is slow, wherever it goes; the next ones are quick.
    for (const t of targets) t.delayMs = 1500;
    try {
      const before = targets.map((t) => t.hits);
      const slow = call(cluster.proxy, '/least');
      await eventually(async () => targets.findIndex((t, i) => t.hits > before[i]!), (i) => i !== -1);
      const busy = targets.find((t, i) => t.hits > before[i]!)!;
      for (const t of targets) t.delayMs = 0;
      const others = await spread('/least', 6);
      expect(others[busy.name]).toBeUndefined();
      expect(Object.values(others).reduce((a, b) => a + b, 0)).toBe(6);
      expect((await slow).text).toBe(busy.name);
    } finally {
      for (const t of targets) t.delayMs = 0;
    }
  });

  it('active checks: a stopped target turns unhealthy (status, metrics, Admin API) and gets no traffic; back when it returns', async () => {
    const id = await upstream('checked', {
      healthchecks: { active: { http_path: '/health', timeout: 1, healthy: { interval: 0.5, successes: 1 }, unhealthy: { interval: 0.5, tcp_failures: 1, http_failures: 1, timeouts: 1 } } },
    });
    const c = targets[2]!;
    await c.stop();
    const status = async () => (await (await fetch(`${cluster.proxies[0]!.url('status')}/status`)).json()) as { proxy: { upstreams: { targets: Array<{ upstream: string; target: string; state: string }> } } };
    await eventually(status, (s) => s.proxy.upstreams.targets.some((t) => t.upstream === 'checked' && t.target === c.address && t.state === 'unhealthy'), 20_000);
    expect(Object.keys(await spread('/checked', 12)).sort()).toEqual(['a', 'b']);
    expect(await metrics()).toContain(`kong_upstream_target_health{upstream="checked",target="${c.address}",address="${c.address}",state="unhealthy",subsystem="http"} 1`);
    const health = await eventually(
      () => cluster.api.get<{ data: Array<{ target: string; health: string; upstream: { id: string } }>; node_id: string }>('/upstreams/checked/health'),
      (r) => r.json.data.find((t) => t.target === c.address)?.health === 'UNHEALTHY',
      20_000,
    );
    expect(health.json.data.filter((t) => t.health === 'HEALTHY').map((t) => t.target).sort()).toEqual([targets[0]!.address, targets[1]!.address].sort());
    expect(health.json.data[0]!.upstream.id).toBe(id);
    const balancer = await cluster.api.get<{ data: { health: string; balancer_health: string } }>('/upstreams/checked/health?balancer_health=1');
    expect(balancer.json.data).toMatchObject({ health: 'HEALTHY', balancer_health: 'HEALTHY', id });

    await c.start();
    await eventually(status, (s) => s.proxy.upstreams.targets.some((t) => t.upstream === 'checked' && t.target === c.address && t.state === 'healthy'), 20_000);
    await eventually(() => spread('/checked', 9), (counts) => counts.c !== undefined);
  });

  it('passive checks: a target answering 500 is taken out after the configured failures', async () => {
    await upstream('passive', { healthchecks: { passive: { unhealthy: { http_failures: 2, http_statuses: [500] } } } });
    const b = targets[1]!;
    b.status = 500;
    try {
      await eventually(() => spread('/passive', 6), (counts) => counts.b === undefined && counts.a !== undefined, 20_000);
      const health = await eventually(() => cluster.api.get<{ data: Array<{ target: string; health: string }> }>('/upstreams/passive/health'), (r) => r.json.data.some((t) => t.health === 'UNHEALTHY'), 20_000);
      expect(health.json.data.find((t) => t.health === 'UNHEALTHY')!.target).toBe(b.address);
      // Passive checks alone never bring a target back: the operator does (Kong's rule).
      b.status = 200;
      expect((await cluster.api.put(`/upstreams/passive/targets/${b.address}/healthy`)).status).toBe(204);
      await eventually(() => spread('/passive', 9), (counts) => counts.b !== undefined, 20_000);
    } finally {
      b.status = 200;
    }
  });

  it('fails over to another target when one refuses connections, and counts it', async () => {
    await upstream('failover', {});
    const a = targets[0]!;
    await a.stop();
    try {
      const counts = await spread('/failover', 9);
      expect(counts.a).toBeUndefined();
      expect((counts.b ?? 0) + (counts.c ?? 0)).toBe(9);
      expect(await metrics()).toMatch(/keygate_upstream_failovers_total\{upstream="failover"\} [1-9]/);
    } finally {
      await a.start();
    }
  });

  it('answers 503 when every target is marked unhealthy (Admin API), and serves again when one is healthy', async () => {
    await upstream('manual', { healthchecks: { passive: { unhealthy: { tcp_failures: 1 } } } });
    for (const t of targets) expect((await cluster.api.put(`/upstreams/manual/targets/${t.address}/unhealthy`)).status).toBe(204);
    const refused = await cluster.until('/manual', 503);
    expect(refused.json.message).toBe('failure to get a peer from the ring-balancer');
    expect((await cluster.api.put(`/upstreams/manual/targets/${targets[1]!.address}/healthy`)).status).toBe(204);
    await cluster.until('/manual', 200);
    expect(await spread('/manual', 4)).toEqual({ b: 4 });
  });
});
