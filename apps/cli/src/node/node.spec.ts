import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { Agent, get } from 'node:http';
import { baseEnv, freePort, httpClient, redisPrefix, REPO_ROOT, runCli, TEST_LOG_DIR, useTestDatabase } from '@keygate/testing';

const database = useTestDatabase();

/**
 * Clients that keep asking `url` until `stop()`: one opening a fresh connection per request, one
 * reusing keep-alive connections (node's agent, which retries nothing). Every answer's status is
 * counted; every failure (refused, reset, hung up) is kept with its code.
 */
function clientLoops(url: string): { stop: () => Promise<{ statuses: Record<number, number>; errors: string[] }> } {
  const statuses: Record<number, number> = {};
  const errors: string[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: 2 });
  let running = true;
  const once = (keepAlive: boolean) =>
    new Promise<void>((resolve) => {
      const req = get(url, keepAlive ? { agent } : { agent: false }, (res) => {
        res.resume();
        res.once('end', () => {
          statuses[res.statusCode!] = (statuses[res.statusCode!] ?? 0) + 1;
          resolve();
        });
        res.once('error', (err: NodeJS.ErrnoException) => {
          errors.push(`${keepAlive ? 'keep-alive' : 'fresh'} ${url}: response ${err.code ?? err.message}`);
          resolve();
        });
      });
      req.once('error', (err: NodeJS.ErrnoException) => {
        errors.push(`${keepAlive ? 'keep-alive' : 'fresh'} ${url}: ${err.code ?? err.message}`);
        resolve();
      });
    });
  const loop = async (keepAlive: boolean) => {
    while (running) {
      await once(keepAlive);
      // A breath between requests: the node under reload shares the machine's cores with the clients.
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  const loops = [loop(false), loop(true), loop(true)];
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return { statuses, errors };
    },
  };
}

interface NodeJson {
  pid: number;
  generation: number;
  roles: Array<{ name: string; pid: number; status_url: string }>;
}

describe('keygate start (all-in-one node)', () => {
  const prefix = join(TEST_LOG_DIR, `node-${randomBytes(4).toString('hex')}`);
  /** The file the node starts with (and reads again at each reload). */
  const conf = join(prefix, 'keygate.conf');
  let env: Record<string, string>;
  let ports: { proxy: number; admin: number; status: number; resolver: number };

  beforeAll(async () => {
    mkdirSync(prefix, { recursive: true });
    writeFileSync(conf, 'log_level = info\n');
    ports = { proxy: await freePort(), admin: await freePort(), status: await freePort(), resolver: await freePort() };
    env = {
      ...database.get().env(),
      KONG_PROXY_LISTEN: `127.0.0.1:${ports.proxy}`,
      KONG_ADMIN_LISTEN: `127.0.0.1:${ports.admin}`,
      KONG_STATUS_LISTEN: `127.0.0.1:${ports.status}`,
      KONG_VAULT_RESOLVER_LISTEN: `127.0.0.1:${ports.resolver}`,
      KONG_REDIS_PREFIX: redisPrefix(),
      KONG_KEYRING_ENABLED: 'on',
      KONG_KEYRING_STRATEGY: 'cluster',
    };
  });

  afterAll(async () => {
    await runCli(['stop', '-p', prefix], { env });
  });

  const state = () => JSON.parse(readFileSync(join(prefix, 'node.json'), 'utf8')) as NodeJson;

  it('starts every role, returns once ready, and serves the Admin API, the proxy and one status for the node', async () => {
    const started = await runCli(['start', '-p', prefix, '-c', conf], { env, timeoutMs: 200_000 });
    expect([started.code, started.stderr]).toEqual([0, '']);
    expect(started.stdout).toContain(`prefix ${prefix}`);

    const pid = Number(readFileSync(join(prefix, 'pids', 'keygate.pid'), 'utf8'));
    expect(state().pid).toBe(pid);
    expect(state().roles.map((r) => r.name)).toEqual(['keyring-broker', 'admin', 'vault-resolver', 'proxy']);
    // No keyring_cluster_secret was set: one was generated under the prefix, readable by its owner only.
    expect(statSync(join(prefix, 'keyring-cluster-secret')).mode & 0o077).toBe(0);

    const root = await fetch(`http://127.0.0.1:${ports.admin}/`);
    expect(root.status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${ports.proxy}/nothing-here`)).status).toBe(404);
    const status = (await (await fetch(`http://127.0.0.1:${ports.status}/status`)).json()) as { app: string; ready: boolean; roles: Record<string, { app: string; ready: boolean }> };
    expect(status.app).toBe('node');
    expect(status.ready).toBe(true);
    expect(Object.keys(status.roles).sort()).toEqual(['admin', 'keyring-broker', 'proxy', 'vault-resolver']);
    expect((await fetch(`http://127.0.0.1:${ports.status}/status/ready`)).status).toBe(200);

    const health = await runCli(['health', '-p', prefix], { env });
    expect(health.code).toBe(0);
    for (const role of ['keyring-broker', 'admin', 'vault-resolver', 'proxy']) expect(health.stdout).toMatch(new RegExp(`^${role}\\.+ready$`, 'm'));
    expect(health.stdout).toContain(`Keygate is healthy at ${prefix}`);

    const again = await runCli(['start', '-p', prefix], { env });
    expect([again.code, again.stderr]).toEqual([1, expect.stringContaining(`Keygate is already running in ${prefix}`)]);
  }, 240_000);

  it("the node's /metrics has every role's metrics, each sample labelled with its role and each family once", async () => {
    const res = await fetch(`http://127.0.0.1:${ports.status}/metrics`);
    expect([res.status, res.headers.get('content-type')]).toEqual([200, expect.stringContaining('text/plain; version=0.0.4')]);
    const lines = (await res.text()).trimEnd().split('\n');
    const headers = { HELP: new Map<string, number>(), TYPE: new Map<string, number>() };
    const roles = new Set<string>();
    let family = '';
    for (const line of lines) {
      const header = /^# (HELP|TYPE) (\S+)/.exec(line);
      if (header) {
        const seen = headers[header[1] as 'HELP' | 'TYPE'];
        seen.set(header[2]!, (seen.get(header[2]!) ?? 0) + 1);
        family = header[2]!;
        continue;
      }
      // Every sample: of the family declared last, labelled with its role first.
      const sample = /^([a-zA-Z_:][\w:]*)\{role="([a-z-]+)"[,}].* (?:-?[\d.e+-]+|NaN|[+-]Inf)$/.exec(line);
      expect([line, sample?.[1]?.startsWith(family)]).toEqual([line, true]);
      roles.add(sample![2]!);
    }
    expect([...roles].sort()).toEqual(['admin', 'keyring-broker', 'proxy', 'vault-resolver']);
    for (const seen of Object.values(headers)) expect([...seen.values()].every((count) => count === 1)).toBe(true);
    expect([...headers.HELP.keys()].sort()).toEqual([...headers.TYPE.keys()].sort());
    // Families of every role (the process's), of one role (the proxy's requests) and their samples.
    expect(headers.TYPE.get('keygate_node_info')).toBe(1);
    expect(lines.filter((l) => l.startsWith('keygate_node_info{')).map((l) => /role="([^"]+)"/.exec(l)![1]).sort()).toEqual(['admin', 'keyring-broker', 'proxy', 'vault-resolver']);
    expect(lines).toContainEqual(expect.stringMatching(/^kong_http_requests_total\{role="proxy",/));
  });

  it('reload replaces every role one at a time with the file as it is now: no connection to the proxy or the Admin API is refused, and the keyring held in memory survives', async () => {
    const admin = httpClient(`http://127.0.0.1:${ports.admin}`);
    const generated = await admin.post<{ id: string }>('/keyring/generate');
    expect(generated.status).toBe(201);
    const held = await admin.get<{ ids: string[]; active?: string }>('/keyring');
    expect(held.json.active).toEqual(expect.any(String));
    const before = state();
    const config = async () => (await admin.get<{ configuration: { log_level: string } }>('/')).json.configuration;
    expect((await config()).log_level).toBe('info');
    writeFileSync(conf, 'log_level = debug\n');

    // Clients of the proxy (no route: its 404) and of the Admin API, throughout the reload.
    const clients = [clientLoops(`http://127.0.0.1:${ports.proxy}/nothing-here`), clientLoops(`http://127.0.0.1:${ports.admin}/`)];
    const reloaded = await runCli(['reload', '-p', prefix], { env, timeoutMs: 600_000 });
    const [proxied, administered] = await Promise.all(clients.map((c) => c.stop()));
    expect([reloaded.code, reloaded.stdout.trim()]).toEqual([0, 'Keygate reloaded']);
    expect([...proxied!.errors, ...administered!.errors]).toEqual([]);
    expect(Object.keys(proxied!.statuses)).toEqual(['404']);
    expect(Object.keys(administered!.statuses)).toEqual(['200']);
    const after = state();
    expect(after.generation).toBe(before.generation + 1);
    for (const role of after.roles) expect(role.pid).not.toBe(before.roles.find((r) => r.name === role.name)!.pid);

    // No recovery key is configured: only the members' memory kept the key through the restarts.
    const keyring = await admin.get<{ ids: string[]; active?: string }>('/keyring');
    expect(keyring.json.ids).toContain(generated.json.id);
    expect(keyring.json.ids.sort()).toEqual(held.json.ids.sort());
    expect(keyring.json.active).toBe(held.json.active);
    // The roles run the configuration as it is now.
    expect((await config()).log_level).toBe('debug');
    writeFileSync(conf, 'log_level = info\n');
  }, 700_000);

  it('check and reload refuse what start refuses; the running node keeps going', async () => {
    writeFileSync(conf, 'plugins = bundled, rate-limiting\nvaults = bundled,gcp\n');
    const check = await runCli(['check', conf], { env });
    expect(check.code).toBe(1);
    expect(check.stderr).toContain('plugins (');
    expect(check.stderr).toContain("'rate-limiting' is not a plugin Keygate knows");
    expect(check.stderr).toContain("'gcp' is not a vault backend Keygate knows (not available in this version yet)");
    const generation = state().generation;
    const reload = await runCli(['reload', '-p', prefix], { env });
    expect(reload.code).toBe(1);
    expect(reload.stderr).toContain('rate-limiting');
    expect((await runCli(['health', '-p', prefix], { env })).code).toBe(0);
    expect(state().generation).toBe(generation);

    writeFileSync(conf, 'log_level = info\n');
    expect(await runCli(['check', conf], { env })).toMatchObject({ code: 0, stdout: `configuration at ${conf} is valid\n` });
  }, 120_000);

  it('quit stops every role and removes the pid file; stop then says it is not running', async () => {
    const rolePids = state().roles.map((r) => r.pid);
    const quit = await runCli(['quit', '-p', prefix, '--timeout', '30'], { env, timeoutMs: 90_000 });
    expect([quit.code, quit.stdout.trim()]).toEqual([0, 'Keygate stopped (gracefully)']);
    expect(existsSync(join(prefix, 'pids', 'keygate.pid'))).toBe(false);
    for (const pid of rolePids) expect(() => process.kill(pid, 0)).toThrow();
    const stop = await runCli(['stop', '-p', prefix], { env });
    expect([stop.code, stop.stderr.trim()]).toEqual([1, `Error: Keygate is not running in ${prefix}`]);
    const health = await runCli(['health', '-p', prefix], { env });
    expect(health.code).toBe(1);
  }, 120_000);

  it('runs in the foreground with nginx_daemon = off and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'keygate'), 'start', '-p', prefix], { env: baseEnv({ ...env, KONG_NGINX_DAEMON: 'off' }), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const deadline = Date.now() + 200_000;
    while (!output.includes('"msg":"keygate node started"')) {
      if (Date.now() > deadline) throw new Error(`not started:\n${output.slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect((await fetch(`http://127.0.0.1:${ports.admin}/`)).status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('"msg":"keygate node stopped"');
  }, 240_000);

  it('restart starts a node that is not running and replaces one that is; stop is fast', async () => {
    const first = await runCli(['restart', '-p', prefix], { env, timeoutMs: 200_000 });
    expect([first.code, first.stderr]).toEqual([0, '']);
    const pid = state().pid;
    const second = await runCli(['restart', '-p', prefix], { env, timeoutMs: 200_000 });
    expect([second.code, second.stdout]).toEqual([0, expect.stringContaining('Keygate stopped')]);
    expect(state().pid).not.toBe(pid);
    expect(() => process.kill(pid, 0)).toThrow();
    const stop = await runCli(['stop', '-p', prefix], { env });
    expect([stop.code, stop.stdout.trim()]).toEqual([0, 'Keygate stopped']);
  }, 400_000);

  it('start exits 1 with the cause when a role cannot start, and leaves nothing running', async () => {
    const { createServer } = await import('node:net');
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(ports.admin, '127.0.0.1', resolve));
    try {
      const res = await runCli(['start', '-p', prefix], { env, timeoutMs: 200_000 });
      expect(res.code).toBe(1);
      expect(res.stderr).toContain('Keygate failed to start');
      expect(res.stderr).toContain(`cannot listen on 127.0.0.1:${ports.admin}: EADDRINUSE`);
      expect(existsSync(join(prefix, 'pids', 'keygate.pid'))).toBe(false);
    } finally {
      blocker.close();
    }
  }, 240_000);

  it('version prints the version', async () => {
    const res = await runCli(['version']);
    expect([res.code, res.stdout]).toEqual([0, expect.stringMatching(/^Keygate \d+\.\d+\.\d+\n$/)]);
  });
});
