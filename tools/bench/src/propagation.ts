import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { Pool } from 'undici';
import { AppProcess, httpClient, testServices, TestDatabase } from '@keygate/testing';
import { machine, runBench } from './measure';

/**
 * `npm run bench:propagation [-- --members 10 --rotations 50]`: N keyring members as separate
 * processes; for each rotation, the time until the last member applied the new active key,
 * next to a raw NOTIFY round trip measured in the same run; plus join time and RSS per member.
 */
function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
};
const ms = (n: number) => `${n.toFixed(1)} ms`;

async function listener(database: TestDatabase, channels: string | string[], onPayload: (payload: string) => void): Promise<pg.Client> {
  const client = new pg.Client({ ...testServices().pg, database: database.name });
  await client.connect();
  client.on('notification', (msg) => onPayload(msg.payload ?? ''));
  for (const channel of [channels].flat()) await client.query(`LISTEN ${channel}`);
  return client;
}

/**
 * NOTIFY round trips: `statement` on one connection until a listener hears it. `idleMs` before
 * each: some machines (virtual ones especially) take milliseconds to wake a process that sat
 * idle, and every activation below starts after an idle pause, so baselines are measured both
 * back to back and after the same pause. `otherListeners`: connections that only hear it
 * (PostgreSQL before 19 wakes each at every commit).
 */
async function notifyRoundTrips(database: TestDatabase, count: number, options: { statement: string; setup?: string; teardown?: string; idleMs?: number; otherListeners?: number }): Promise<number[]> {
  let resolve: (() => void) | undefined;
  const client = await listener(database, 'bench_notify', () => resolve?.());
  const others = await Promise.all(Array.from({ length: options.otherListeners ?? 0 }, () => listener(database, 'bench_notify', () => undefined)));
  const sender = new pg.Client({ ...testServices().pg, database: database.name });
  await sender.connect();
  if (options.setup) await sender.query(options.setup);
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    if (options.idleMs) await sleep(options.idleMs);
    const heard = new Promise<void>((r) => (resolve = r));
    const started = performance.now();
    await sender.query(options.statement);
    await heard;
    out.push(performance.now() - started);
  }
  if (options.teardown) await sender.query(options.teardown);
  await Promise.all([client.end(), sender.end(), ...others.map((o) => o.end())]);
  return out;
}

const RAW_NOTIFY = { statement: "SELECT pg_notify('bench_notify', 'x')" };
/**
 * The same round trip when the notification comes with a durable write, as an activation's does:
 * `INSERT` and `pg_notify` in one transaction, so its `COMMIT` waits for the WAL flush (fsync).
 */
const DURABLE_NOTIFY = {
  setup: 'CREATE TABLE IF NOT EXISTS bench_durable (id serial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())',
  statement: "WITH row AS (INSERT INTO bench_durable DEFAULT VALUES RETURNING id) SELECT pg_notify('bench_notify', id::text) FROM row",
  teardown: 'DROP TABLE IF EXISTS bench_durable',
};

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The pause before each activation (and each idle baseline round trip). */
const IDLE_MS = 50;

/**
 * CPU a burst of notifications costs the members: what they used over a window with the burst,
 * less what they used over an idle window of the same length just before (heartbeats, timers).
 */
async function burstCost(members: AppProcess[], send: () => Promise<void>, windowMs = 1500): Promise<{ max: number; total: number }> {
  const idleStart = members.map((m) => cpuSeconds(m.pid));
  await sleep(windowMs);
  const idle = members.map((m, i) => cpuSeconds(m.pid) - idleStart[i]!);
  const start = members.map((m) => cpuSeconds(m.pid));
  const sent = performance.now();
  await send();
  await sleep(Math.max(0, windowMs - (performance.now() - sent)));
  const cost = members.map((m, i) => Math.max(0, cpuSeconds(m.pid) - start[i]! - idle[i]!));
  return { max: Math.max(...cost), total: cost.reduce((a, b) => a + b, 0) };
}

/**
 * 100 requests for every key, signed by an identity without the cluster secret: a well-formed
 * claim with a proof shaped like a real one, so each costs a member a full signature check.
 */
function forgedRequest(): string {
  const claim = { node_id: randomUUID(), app: 'proxy', rsa: randomBytes(32).toString('hex'), sig_key: randomBytes(32).toString('base64'), proof: randomBytes(64).toString('base64') };
  const m = JSON.stringify({ v: 2, from: claim, ts: Date.now(), nonce: randomBytes(12).toString('base64url'), msg: { type: 'request', key_ids: '*', rsa_key: randomBytes(294).toString('base64') } });
  return JSON.stringify({ m, s: randomBytes(64).toString('base64') });
}

function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

async function main(): Promise<void> {
  const memberCount = arg('members', 10);
  const rotations = arg('rotations', 50);
  const database = await TestDatabase.create();
  const env = { ...database.env(), KONG_KEYRING_ENABLED: 'on', KONG_KEYRING_CLUSTER_SECRET: randomBytes(24).toString('base64url'), KONG_LOG_LEVEL: 'info' };
  const nodes: AppProcess[] = [];
  try {
    const raw = await notifyRoundTrips(database, 200, RAW_NOTIFY);
    const rawIdle = await notifyRoundTrips(database, 50, { ...RAW_NOTIFY, idleMs: IDLE_MS });
    const durableIdle = await notifyRoundTrips(database, 50, { ...DURABLE_NOTIFY, idleMs: IDLE_MS });
    const durableFanOut = await notifyRoundTrips(database, 50, { ...DURABLE_NOTIFY, idleMs: IDLE_MS, otherListeners: memberCount + 1 });
    const admin = await AppProcess.start('admin', { env });
    nodes.push(admin);
    const members = await Promise.all(Array.from({ length: memberCount }, () => AppProcess.start('keyring-broker', { env })));
    nodes.push(...members);
    const memberIds = new Set<string>();
    for (const m of members) memberIds.add(((await (await fetch(`${m.url('status')}/status`)).json()) as { node_id: string }).node_id);

    const applied = new Map<string, Map<string, number>>(); // key id -> node id -> time
    let lastRequest: string | undefined;
    const committed = new Map<string, number>(); // key id -> when its activation committed (heard)
    const holding = new Map<string, Set<string>>(); // node id -> key ids it last reported
    const bus = await listener(database, ['keygate_keyring', 'keygate_keyring_reports'], (payload) => {
      if (payload.includes('\\"type\\":\\"request\\"')) lastRequest = payload;
      // Signed messages: `m` is the JSON the sender signed (the bench only reads it).
      const { from, msg } = JSON.parse((JSON.parse(payload) as { m: string }).m) as { from: { node_id: string }; msg: { type: string; active?: string; key_id?: string; at?: number } };
      if (msg.type === 'activated' && msg.key_id && !committed.has(msg.key_id)) committed.set(msg.key_id, performance.now());
      if (msg.type === 'applied') holding.set(from.node_id, new Set((msg as { key_ids?: string[] }).key_ids ?? []));
      if (msg.type !== 'applied' || !msg.active) return;
      const perKey = applied.get(msg.active) ?? new Map<string, number>();
      // When the member applied it, by its own clock (the report is sent a moment later).
      if (!perKey.has(from.node_id)) perKey.set(from.node_id, msg.at !== undefined ? msg.at - performance.timeOrigin : performance.now());
      applied.set(msg.active, perKey);
    });
    const api = httpClient(admin.url('admin'));
    // The timed requests go through a plain keep-alive connection (undici's request, not fetch),
    // so the client library's own overhead is not counted against the activation.
    const adminPool = new Pool(admin.url('admin'), { connections: 1 });
    /** `X-Kong-Admin-Latency` of each activation: the time spent inside the Admin API (ms, rounded). */
    const adminLatency: number[] = [];
    const timedPost = async (path: string, form: Record<string, string>) => {
      const res = await adminPool.request({ method: 'POST', path, body: new URLSearchParams(form).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      await res.body.text();
      if (res.statusCode >= 300) throw new Error(`POST ${path}: HTTP ${res.statusCode}`);
      adminLatency.push(Number(res.headers['x-kong-admin-latency']));
    };
    const httpIdle: number[] = [];
    const fromResponse: number[] = [];
    const fromRequest: number[] = [];
    const fromCommit: number[] = [];
    const toCommit: number[] = [];
    const firstToLast: number[] = [];
    for (let r = 0; r < rotations; r++) {
      const { id } = (await api.post<{ id: string }>('/keyring/generate')).json;
      // Measure the activation alone: wait until every member holds the new key and the previous
      // activation's re-encryption has finished, so one rotation's aftermath (envelopes, RSA
      // unwrapping, the re-encryption job) is not counted against the next.
      while ([...memberIds].some((n) => !holding.get(n)?.has(id))) await new Promise((resolve) => setTimeout(resolve, 2));
      for (let settled = false; r > 0 && !settled; ) {
        settled = ['done', 'superseded', 'failed'].includes((await api.get<{ state: string }>('/keyring/reencrypt')).json.state);
        if (!settled) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      // Baseline: an Admin API round trip without database work (`GET /` reads the database
      // twice; `GET /endpoints` lists the router's paths), after the same idle pause.
      await sleep(IDLE_MS);
      const pinged = performance.now();
      const ping = await adminPool.request({ method: 'GET', path: '/endpoints' });
      await ping.body.text();
      httpIdle.push(performance.now() - pinged);
      await sleep(IDLE_MS);
      const sent = performance.now();
      await timedPost('/keyring/activate', { key: id });
      const answered = performance.now();
      const deadline = Date.now() + 10_000;
      while ([...memberIds].some((n) => !applied.get(id)?.has(n)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 1));
      const last = Math.max(...[...memberIds].map((n) => applied.get(id)?.get(n) ?? Infinity));
      fromResponse.push(Math.max(0, last - answered));
      fromRequest.push(last - sent);
      fromCommit.push(last - (committed.get(id) ?? sent));
      toCommit.push((committed.get(id) ?? sent) - sent);
      firstToLast.push(last - Math.min(...[...memberIds].map((n) => applied.get(id)?.get(n) ?? Infinity)));
    }

    const joinStarted = performance.now();
    const late = await AppProcess.start('keyring-broker', { env, waitReady: false });
    nodes.push(late);
    const active = (await api.get<{ active: string }>('/keyring')).json.active;
    await late.ready();
    const lateId = ((await (await fetch(`${late.url('status')}/status`)).json()) as { node_id: string }).node_id;
    while (!applied.get(active)?.has(lateId)) await new Promise((resolve) => setTimeout(resolve, 2));
    const join = (applied.get(active)!.get(lateId) as number) - joinStarted;

    // Floods: 100 forged requests (no cluster secret), then 100 replays of the late member's
    // real, signed request (caught on the bus, as anyone who can LISTEN can).
    const attacker = new pg.Client({ ...testServices().pg, database: database.name });
    await attacker.connect();
    const flood = (payload: () => string) => async () => {
      for (let i = 0; i < 100; i++) await attacker.query("SELECT pg_notify('keygate_keyring', $1)", [payload()]);
    };
    const forged = await burstCost(members, flood(forgedRequest));
    const replayed = lastRequest ? await burstCost(members, flood(() => lastRequest as string)) : undefined;
    await attacker.end();
    await bus.end();
    await adminPool.close();

    const rss = members.map((m) => rssMb(m.pid));
    process.stdout.write(`machine: ${machine()}; ${memberCount} members + admin, ${rotations} rotations\n\n`);
    process.stdout.write(`raw NOTIFY round trip         p50 ${ms(percentile(raw, 50))}  p99 ${ms(percentile(raw, 99))}\n`);
    process.stdout.write(`raw NOTIFY round trip after ${IDLE_MS} ms idle (as each activation)  p50 ${ms(percentile(rawIdle, 50))}  p99 ${ms(percentile(rawIdle, 99))}\n`);
    process.stdout.write(`durable NOTIFY round trip (INSERT + NOTIFY, COMMIT with WAL flush) after ${IDLE_MS} ms idle  p50 ${ms(percentile(durableIdle, 50))}  p99 ${ms(percentile(durableIdle, 99))}\n`);
    process.stdout.write(`the same with ${memberCount + 1} more listening connections (as many as the members, the admin and this bench)  p50 ${ms(percentile(durableFanOut, 50))}  p99 ${ms(percentile(durableFanOut, 99))}\n`);
    process.stdout.write(`Admin API round trip without database work (GET /endpoints) after ${IDLE_MS} ms idle  p50 ${ms(percentile(httpIdle, 50))}  p99 ${ms(percentile(httpIdle, 99))}\n`);
    process.stdout.write(`activate -> last member (from response)  p50 ${ms(percentile(fromResponse, 50))}  p99 ${ms(percentile(fromResponse, 99))}\n`);
    process.stdout.write(`inside the Admin API (X-Kong-Admin-Latency of the activation)  p50 ${ms(percentile(adminLatency, 50))}  p99 ${ms(percentile(adminLatency, 99))}\n`);
    process.stdout.write(`request -> activation committed (heard)     p50 ${ms(percentile(toCommit, 50))}  p99 ${ms(percentile(toCommit, 99))}\n`);
    process.stdout.write(`activation committed -> last member applied  p50 ${ms(percentile(fromCommit, 50))}  p99 ${ms(percentile(fromCommit, 99))}\n`);
    process.stdout.write(`first member applied -> last member applied  p50 ${ms(percentile(firstToLast, 50))}  p99 ${ms(percentile(firstToLast, 99))}\n`);
    process.stdout.write(`activate -> last member (from request)   p50 ${ms(percentile(fromRequest, 50))}  p99 ${ms(percentile(fromRequest, 99))}\n`);
    process.stdout.write(`ratio p99 (from request) / raw NOTIFY p99: ${(percentile(fromRequest, 99) / percentile(raw, 99)).toFixed(1)}x; / raw NOTIFY p99 after the same idle pause: ${(percentile(fromRequest, 99) / percentile(rawIdle, 99)).toFixed(1)}x\n`);
    process.stdout.write(`goal p99 <= 25 ms at 10 members: ${percentile(fromRequest, 99) <= 25 ? 'met' : 'NOT met'}\n`);
    process.stdout.write(`100 forged requests: ${forged.max.toFixed(3)} CPU s on the busiest member (${forged.total.toFixed(3)} s over all ${memberCount}); goal < 0.1 s: ${forged.max < 0.1 ? 'met' : 'NOT met'}\n`);
    if (replayed) process.stdout.write(`100 replays of a real signed request: ${replayed.max.toFixed(3)} CPU s on the busiest member (${replayed.total.toFixed(3)} s over all); goal < 0.1 s: ${replayed.max < 0.1 ? 'met' : 'NOT met'}\n`);
    process.stdout.write(`join: new member to holding the active key: ${ms(join)} (includes process start and RSA key generation)\n`);
    process.stdout.write(`RSS per member: median ${percentile(rss, 50).toFixed(0)} MB (min ${Math.min(...rss).toFixed(0)}, max ${Math.max(...rss).toFixed(0)})\n`);
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
    await database.drop();
  }
}

runBench(main);
