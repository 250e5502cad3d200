import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { selfSignedCertificate } from '@keygate/crypto';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { AppProcess, freePort, httpClient, rsaKeyFiles, TestDatabase, type HttpClient } from '@keygate/testing';
import { loadTool, runLoad, type LoadResult } from './proxy/load';
import { machine, runBench } from './measure';

/**
 * `npm run bench:proxy [-- --workers N --connections 64 --duration 10 --rounds 3 --consumers 10000]`:
 * on this machine, in one run, requests/s and latency of
 *   (a) the upstream alone, (b) a minimal undici pass-through (the ceiling for a Node proxy),
 *   (c) Keygate without auth, (d) with key-auth, (e) with basic-auth among N consumers,
 *   (f) Keygate through an upstream entity with 3 targets (round-robin),
 *   TLS: (g) a bare node:https pass-through and (h) Keygate on an `ssl` entry, keep-alive req/s,
 *   then the same with a new connection (TLS handshake) per request: (i) and (j),
 * (b)-(j) with the same number of processes; ratios to (b), and for Keygate's TLS cases to the
 * https pass-through of the same kind.
 */
function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const workers = arg('workers', Math.max(1, Math.floor(cpus().length / 2)));
const connections = arg('connections', 64);
const durationSec = arg('duration', 10);
const consumerCount = arg('consumers', 10_000);
const rounds = arg('rounds', 3);
const TARGET_HOSTS = ['127.0.0.1', '127.0.0.2', '127.0.0.3'];

function child(script: string, args: string[]): Promise<ChildProcess> {
  const proc = fork(join(__dirname, 'proxy', script), args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    proc.once('message', () => resolve(proc));
    proc.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

async function inParallel<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await fn(items[next++] as T);
  }));
}

async function ok(res: Promise<{ status: number; text: string }>): Promise<void> {
  const r = await res;
  if (r.status >= 300) throw new Error(`admin answered ${r.status}: ${r.text}`);
}

async function configure(api: HttpClient, upstream: string): Promise<{ key: string; user: string; password: string }> {
  await ok(api.post('/services', { form: { name: 'bench', url: upstream } }));
  await ok(api.post('/services/bench/routes', { json: { name: 'open', paths: ['/open'] } }));
  await ok(api.post('/services/bench/routes', { json: { name: 'key', paths: ['/key'] } }));
  await ok(api.post('/services/bench/routes', { json: { name: 'basic', paths: ['/basic'] } }));
  await ok(api.post('/routes/key/plugins', { form: { name: 'key-auth' } }));
  // Three targets on the same upstream processes (one listener per loopback address).
  const port = new URL(upstream).port;
  await ok(api.post('/upstreams', { json: { name: 'bench-pool' } }));
  for (const host of TARGET_HOSTS) await ok(api.post('/upstreams/bench-pool/targets', { json: { target: `${host}:${port}` } }));
  await ok(api.post('/services', { json: { name: 'pooled', host: 'bench-pool', port: Number(port) } }));
  await ok(api.post('/services/pooled/routes', { json: { name: 'pooled', paths: ['/pooled'] } }));
  await ok(api.post('/routes/basic/plugins', { form: { name: 'basic-auth' } }));
  const started = Date.now();
  const indexes = Array.from({ length: consumerCount }, (_, i) => i);
  await inParallel(indexes, 32, async (i) => {
    await ok(api.post('/consumers', { json: { username: `user-${i}` } }));
    await ok(api.post(`/consumers/user-${i}/basic-auth`, { json: { username: `user-${i}`, password: `password-${i}` } }));
    if (i % 10 === 0) await ok(api.post(`/consumers/user-${i}/key-auth`, { json: { key: `key-${i}` } }));
  });
  process.stdout.write(`  created ${consumerCount} consumers with basic-auth (and ${Math.ceil(consumerCount / 10)} key-auth keys) in ${((Date.now() - started) / 1000).toFixed(1)} s through the Admin API\n`);
  const pick = Math.floor(consumerCount / 2);
  return { key: `key-${pick - (pick % 10)}`, user: `user-${pick}`, password: `password-${pick}` };
}

async function waitForState(proxy: AppProcess, credentials: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const status = (await (await fetch(`${proxy.url('status')}/status`)).json()) as { proxy: { state: { version: number; entities: Record<string, number> }; workers: { list: Array<{ state_version: number }> } } };
    const { state, workers: w } = status.proxy;
    if (state.entities.basicauth_credentials === credentials && w.list.every((x) => x.state_version === state.version)) return;
    if (Date.now() > deadline) throw new Error(`the proxy holds ${state.entities.basicauth_credentials} of ${credentials} credentials`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function main(): Promise<void> {
  const tool = loadTool();
  process.stdout.write(`machine: ${machine()}, load tool ${tool}\n`);
  process.stdout.write(`processes: ${workers} for (b) and for Keygate's workers (c-e); upstream: ${workers}; ${connections} connections, ${durationSec} s per run\n`);
  const database = await TestDatabase.create();
  const rsa = rsaKeyFiles();
  const procs: ChildProcess[] = [];
  const nodes: AppProcess[] = [];
  try {
    const upstreamPort = await freePort();
    procs.push(await child('upstream.js', [String(upstreamPort), String(workers), TARGET_HOSTS.join(',')]));
    const upstream = `http://127.0.0.1:${upstreamPort}`;
    const passPort = await freePort();
    procs.push(await child('passthrough.js', [String(passPort), String(workers), upstream]));
    // One RSA certificate for both TLS servers (Keygate's default one would be RSA 2048 too).
    const dir = mkdtempSync(join(tmpdir(), 'keygate-bench-tls-'));
    const tls = selfSignedCertificate({ keyType: 'rsa' });
    writeFileSync(join(dir, 'cert.pem'), tls.cert);
    writeFileSync(join(dir, 'key.pem'), tls.key, { mode: 0o600 });
    const httpsPassPort = await freePort();
    procs.push(await child('passthrough.js', [String(httpsPassPort), String(workers), upstream, join(dir, 'cert.pem'), join(dir, 'key.pem')]));

    const env = {
      ...database.env(),
      KONG_LOG_LEVEL: 'info',
      KONG_KEYRING_ENABLED: 'on',
      KONG_KEYRING_PUBLIC_KEY: rsa.publicPath,
      KONG_KEYRING_PRIVATE_KEY: rsa.privatePath,
      KONG_KEYRING_BLOB_PATH: join(rsa.dir, `bench-${randomBytes(4).toString('hex')}.blob`),
    };
    const admin = await AppProcess.start('admin', { env });
    nodes.push(admin);
    const secrets = await configure(httpClient(admin.url('admin')), upstream);
    // Started after the data exists: the load at start decrypts every credential once.
    const [plainPort, tlsPort] = [await freePort(), await freePort()];
    const proxy = await AppProcess.start('proxy', {
      env: { ...env, KONG_PROXY_WORKERS: String(workers), KONG_PROXY_LISTEN: `127.0.0.1:${plainPort}, 127.0.0.1:${tlsPort} ssl`, KONG_SSL_CERT: join(dir, 'cert.pem'), KONG_SSL_CERT_KEY: join(dir, 'key.pem') },
      timeoutMs: 120_000,
    });
    nodes.push(proxy);
    await waitForState(proxy, consumerCount);
    const loaded = JSON.parse(proxy.lines.find((l) => l.includes('"reason":"start"') && l.includes('state loaded'))!) as { ms: number };
    process.stdout.write(`  proxy start: state with ${consumerCount} consumers (encrypted credentials decrypted once) loaded in ${loaded.ms} ms\n\n`);
    const base = proxy.url('proxy');
    const tlsBase = proxy.url('proxy', { tls: true });
    const close = { connection: 'close' };

    const cases: Array<[string, string, Record<string, string>]> = [
      ['(a) upstream direct', `${upstream}/`, {}],
      ['(b) undici pass-through', `http://127.0.0.1:${passPort}/`, {}],
      ['(c) keygate, no auth', `${base}/open`, {}],
      ['(d) keygate, key-auth', `${base}/key`, { apikey: secrets.key }],
      [`(e) keygate, basic-auth, ${consumerCount} consumers`, `${base}/basic`, { authorization: `Basic ${Buffer.from(`${secrets.user}:${secrets.password}`).toString('base64')}` }],
      ['(f) keygate, upstream with 3 targets', `${base}/pooled`, {}],
      ['(g) https pass-through, keep-alive', `https://127.0.0.1:${httpsPassPort}/`, {}],
      ['(h) keygate TLS, keep-alive', `${tlsBase}/open`, {}],
      ['(i) https pass-through, handshake per request', `https://127.0.0.1:${httpsPassPort}/`, close],
      ['(j) keygate TLS, handshake per request', `${tlsBase}/open`, close],
    ];
    /** The baseline of each case's ratio: the https pass-through of the same kind for TLS. */
    const baselineOf: Record<string, string> = { '(h)': '(g) https pass-through, keep-alive', '(j)': '(i) https pass-through, handshake per request' };
    // Rounds, each case once per round in turn, then the median run of each case: the machine
    // is shared and drifts; interleaving keeps every case exposed to the same drift.
    const runs = new Map<string, LoadResult[]>(cases.map(([name]) => [name, []]));
    for (const [, url, headers] of cases) await runLoad({ url, headers, connections, threads: 1, durationSec: 2 }); // warm-up
    for (let round = 0; round < rounds; round++) {
      for (const [name, url, headers] of cases) {
        const result = await runLoad({ url, headers, connections, threads: 1, durationSec });
        if (result.non2xx > 0 || result.errors > 0) throw new Error(`${name}: ${result.non2xx} non-2xx responses, ${result.errors} socket errors`);
        runs.get(name)!.push(result);
      }
    }
    const results = new Map<string, LoadResult>();
    for (const [name, list] of runs) results.set(name, [...list].sort((a, b) => a.rps - b.rps)[Math.floor(list.length / 2)]!);
    const ceiling = results.get('(b) undici pass-through')!;
    const width = Math.max(...cases.map(([n]) => n.length));
    process.stdout.write(`median of ${rounds} interleaved runs of ${durationSec} s each\n`);
    process.stdout.write(`(i) and (j) make a new connection per request: their req/s are TLS handshakes/s\n`);
    process.stdout.write(`${'case'.padEnd(width)}  ${'req/s'.padStart(9)}  ${'p50 ms'.padStart(7)}  ${'p99 ms'.padStart(7)}  ratio\n`);
    for (const [name] of cases) {
      const r = results.get(name)!;
      const key = name.slice(0, 3);
      const baseline = baselineOf[key];
      const ratio = baseline ? `${(r.rps / results.get(baseline)!.rps).toFixed(2)} to ${baseline.slice(0, 3)}` : ['(a)', '(b)', '(g)', '(i)'].includes(key) ? '' : `${(r.rps / ceiling.rps).toFixed(2)} to (b)`;
      process.stdout.write(`${name.padEnd(width)}  ${Math.round(r.rps).toString().padStart(9)}  ${r.p50Ms.toFixed(2).padStart(7)}  ${r.p99Ms.toFixed(2).padStart(7)}  ${ratio}\n`);
    }
    const d = results.get('(d) keygate, key-auth')!;
    process.stdout.write(`\ngoal (d)/(b) >= 0.80: ${(d.rps / ceiling.rps).toFixed(2)} ${d.rps / ceiling.rps >= 0.8 ? 'met' : 'NOT met'}\n`);
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
    for (const p of procs) p.kill();
    await database.drop();
  }
}

runBench(main);
