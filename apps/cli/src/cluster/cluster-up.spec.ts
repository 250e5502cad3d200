import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { baseEnv, freePort, freePortBlock, ManagedProcess, plantedSecret, REPO_ROOT, testServices, useTestDatabase } from '@keygate/testing';
import { canConnect } from './net';

const execFileAsync = promisify(execFile);
const database = useTestDatabase({ migrate: false });

/**
 * The cluster's listeners on free ports, each with room for the steps of 10 above it, from one
 * free block: three blocks picked one by one could overlap (a status port on the admin's).
 * `proxy` is the first proxy's port.
 */
async function clusterListeners(): Promise<{ proxy: number; listen: Record<'admin_listen' | 'proxy_listen' | 'status_listen', string> }> {
  const base = await freePortBlock(18);
  const [admin, status, proxy] = [base, base + 60, base + 120];
  return { proxy, listen: { admin_listen: `127.0.0.1:${admin}`, proxy_listen: `127.0.0.1:${proxy}`, status_listen: `127.0.0.1:${status}` } };
}

async function adminSql(sql: string): Promise<void> {
  const client = new pg.Client({ ...testServices().pg, database: 'postgres' });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A role and database of the test's own, which cluster up creates; `drop` removes them. */
function ownDatabase() {
  const suffix = randomBytes(4).toString('hex');
  const [role, db] = [`kgtest_role_${suffix}`, `kgtest_db_${suffix}`];
  const { pg: server } = testServices();
  return {
    role,
    db,
    settings: { pg_host: server.host, pg_port: server.port, pg_user: role, pg_database: db },
    drop: async () => {
      await adminSql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      await adminSql(`DROP ROLE IF EXISTS ${role}`);
    },
  };
}

interface Started {
  cli: ManagedProcess;
  statusUrls: string[];
  adminUrl: string;
  proxyUrls: string[];
}

async function clusterUp(conf: string, args: string[] = [], env: Record<string, string> = {}): Promise<Started> {
  const cli = new ManagedProcess('cluster', join(REPO_ROOT, 'bin', 'keygate'), ['cluster', 'up', '-c', conf, ...args], { ...baseEnv(), ...env });
  await cli.waitForLine((line) => line.includes('Keygate local cluster is up'), 120_000, 'the cluster');
  await cli.waitForLine((line) => line.includes('Press Ctrl-C to stop.'));
  const nodeLines = cli.lines.filter((line) => / status http:\/\//.test(line));
  const statusUrls = nodeLines.map((line) => /status (http:\S+)/.exec(line)![1]!);
  const adminUrl = /^\s+admin\s+(http:\S+)/m.exec(cli.output)![1]!;
  const proxyUrls = [...cli.output.matchAll(/^\s+proxy-\d+\s+(http:\S+)/gm)].map((m) => m[1]!);
  return { cli, statusUrls, adminUrl, proxyUrls };
}

function writeConf(lines: Record<string, string | number>): string {
  const dir = mkdtempSync(join(tmpdir(), 'keygate-cluster-'));
  const path = join(dir, 'kong.conf');
  writeFileSync(path, Object.entries(lines).map(([k, v]) => `${k} = ${v}`).join('\n'));
  return path;
}

describe('keygate cluster up', () => {
  it("creates Kong's role and database, migrates, starts every node, and stops them all on Ctrl-C", async () => {
    const own = ownDatabase();
    const { role, db } = own;
    const { proxy, listen } = await clusterListeners();
    const conf = writeConf({ ...own.settings, ...listen });
    let started: Started | undefined;
    const stateDir = mkdtempSync(join(tmpdir(), 'keygate-state-'));
    try {
      started = await clusterUp(conf, ['--proxies', '2', '--state-dir', stateDir]);
      const { cli, statusUrls, adminUrl, proxyUrls } = started;
      expect(cli.output).toContain(`created role '${role}' and database '${db}'`);
      expect(statusUrls).toHaveLength(5);
      expect(proxyUrls).toEqual([`http://127.0.0.1:${proxy}`, `http://127.0.0.1:${proxy + 10}`]);
      const apps = [];
      for (const url of statusUrls) {
        const body = (await (await fetch(url)).json()) as { app: string; ready: boolean };
        expect(body.ready).toBe(true);
        apps.push(body.app);
      }
      expect(apps.sort()).toEqual(['admin', 'keyring-broker', 'proxy', 'proxy', 'vault-resolver']);
      const created = await fetch(`${adminUrl}/consumers`, { method: 'POST', body: 'username=alice', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(created.status).toBe(201);
      const credential = await fetch(`${adminUrl}/consumers/alice/basic-auth`, {
        method: 'POST',
        body: 'username=alice&password=s3cret-local',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(credential.status).toBe(201);
      const unmatched = await fetch(`${proxyUrls[0]}/anything`);
      expect(unmatched.status).toBe(404);

      cli.signal('SIGINT');
      expect((await cli.exited).code).toBe(0);
      expect(cli.output).toContain('keygate: stopped');
      for (const url of [...statusUrls, adminUrl, ...proxyUrls]) {
        const { hostname, port } = new URL(url);
        expect(await canConnect(hostname, Number(port), 500)).toBe(false);
      }

      // A second run of the same cluster gets its keys back from the database.
      started = await clusterUp(conf, ['--proxies', '1', '--state-dir', stateDir]);
      expect(started.cli.output).toContain('keyring: successfully recovered 1 keys from the database');
      const id = ((await (await fetch(`${started.adminUrl}/consumers/alice/basic-auth`)).json()) as { data: Array<{ id: string }> }).data[0]!.id;
      expect((await fetch(`${started.adminUrl}/basic-auths/${id}`)).status).toBe(200);
      started.cli.signal('SIGINT');
      expect((await started.cli.exited).code).toBe(0);
    } finally {
      await started?.cli.stop();
      await own.drop();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('starts an embedded PostgreSQL when none answers at pg_host:pg_port', async () => {
    mkdirSync(join(REPO_ROOT, 'tmp'), { recursive: true });
    const stateDir = mkdtempSync(join(REPO_ROOT, 'tmp', 'embedded-'));
    const { listen } = await clusterListeners();
    const pgPort = await freePort();
    const conf = writeConf({ pg_host: '127.0.0.1', pg_port: pgPort, ...listen });
    const started = await clusterUp(conf, ['--proxies', '1', '--state-dir', stateDir]);
    try {
      expect(started.cli.output).toContain(`no PostgreSQL at 127.0.0.1:${pgPort}; starting an embedded one`);
      expect(started.cli.output).toMatch(/postgres\s+127\.0\.0\.1:\d+\/kong as kong \(embedded/);
      const created = await fetch(`${started.adminUrl}/consumers`, { method: 'POST', body: '{"username":"embedded"}', headers: { 'content-type': 'application/json' } });
      expect(created.status).toBe(201);
      started.cli.signal('SIGINT');
      expect((await started.cli.exited).code).toBe(0);
      expect(await canConnect('127.0.0.1', pgPort, 500)).toBe(false);
    } finally {
      await started.cli.stop();
      rmSync(stateDir, { recursive: true, force: true });
    }
  }, 180_000);

  it('stops every node when the launcher itself is killed (no orphans)', async () => {
    const { listen } = await clusterListeners();
    const conf = writeConf({ ...dbSettings(), ...listen });
    const started = await clusterUp(conf, ['--proxies', '1', '--state-dir', mkdtempSync(join(tmpdir(), 'keygate-state-'))]);
    try {
      started.cli.signal('SIGKILL');
      await started.cli.exited;
      const deadline = Date.now() + 15_000;
      const open = async () => (await Promise.all(started.statusUrls.map((url) => canConnect(new URL(url).hostname, Number(new URL(url).port), 300)))).some(Boolean);
      while ((await open()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await open()).toBe(false);
    } finally {
      await started.cli.stop();
    }
  });

  it('scales proxies of the running cluster (cluster scale proxy=N) and lists every node with its active key (cluster status)', async () => {
    // A database of its own: keys other tests' clusters left in the shared one are held by no node.
    const own = ownDatabase();
    const { proxy, listen } = await clusterListeners();
    const conf = writeConf({ ...own.settings, ...listen });
    const stateDir = mkdtempSync(join(tmpdir(), 'keygate-state-'));
    const keygate = async (...args: string[]) => {
      try {
        const { stdout } = await execFileAsync(process.execPath, [join(REPO_ROOT, 'bin', 'keygate'), 'cluster', ...args, '--state-dir', stateDir], { env: baseEnv() });
        return { code: 0, stdout, stderr: '' };
      } catch (err) {
        const failed = err as { code: number; stdout: string; stderr: string };
        return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
      }
    };
    const rows = async () => JSON.parse((await keygate('status', '--json')).stdout) as Array<{ name: string; app: string; address: string; ready: boolean; active_key: string | null; state_version: number | null }>;
    const started = await clusterUp(conf, ['--proxies', '1', '--state-dir', stateDir]);
    try {
      const before = await rows();
      expect(before.map((r) => r.name)).toEqual(['admin', 'keyring-broker', 'vault-resolver', 'proxy-1']);
      const active = before.find((r) => r.app === 'admin')!.active_key;
      expect(active).toMatch(/^[A-Za-z0-9]{8}$/);
      expect((await keygate('status')).stdout).toContain(`keyring: every member (4) has active key ${active}`);

      expect(await keygate('scale', 'proxy=2')).toMatchObject({ code: 0, stdout: expect.stringContaining(`proxy-2 http://127.0.0.1:${proxy + 10}`) });
      const scaled = await rows();
      const second = scaled.find((r) => r.name === 'proxy-2')!;
      expect(second).toMatchObject({ app: 'proxy', address: `http://127.0.0.1:${proxy + 10}`, ready: true, active_key: active });
      expect(second.state_version).toBeGreaterThanOrEqual(1);
      expect((await fetch(`http://127.0.0.1:${proxy + 10}/nothing-routed`)).status).toBe(404);

      expect((await keygate('scale', 'proxy=0')).code).toBe(0);
      expect((await rows()).filter((r) => r.app === 'proxy')).toEqual([]);
      expect(await canConnect('127.0.0.1', proxy + 10, 500)).toBe(false);
      expect(await keygate('scale', 'proxy=many')).toMatchObject({ code: 1, stderr: expect.stringContaining('expected proxy=N') });

      started.cli.signal('SIGINT');
      expect((await started.cli.exited).code).toBe(0);
      expect(await keygate('status')).toMatchObject({ code: 1, stderr: expect.stringContaining('no keygate cluster up runs with state directory') });
    } finally {
      await started.cli.stop();
      await own.drop();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('runs with enforce_rbac and audit_log on using its own cluster secret, and creates the super admin from KONG_PASSWORD', async () => {
    // A database of its own: RBAC rows another test's cluster signed with its secret would not verify.
    const own = ownDatabase();
    const password = plantedSecret('kong-password');
    const { listen } = await clusterListeners();
    const conf = writeConf({ ...own.settings, enforce_rbac: 'on', audit_log: 'on', ...listen });
    const stateDir = mkdtempSync(join(tmpdir(), 'keygate-state-'));
    const userNames = async (adminUrl: string) => {
      const res = await fetch(`${adminUrl}/rbac/users`, { headers: { 'Kong-Admin-Token': password }, signal: AbortSignal.timeout(30_000) });
      expect(res.status).toBe(200);
      return ((await res.json()) as { data: Array<{ name: string }> }).data.map((u) => u.name);
    };
    const started = await clusterUp(conf, ['--proxies', '1', '--state-dir', stateDir], { KONG_PASSWORD: password });
    try {
      expect(started.cli.output).toMatch(/^\s+rbac\s+enforce_rbac = on; super admin 'kong_admin' created, its Kong-Admin-Token is KONG_PASSWORD$/m);
      expect(started.cli.output).not.toContain(password);
      expect(await (await fetch(`${started.adminUrl}/consumers`)).json()).toEqual({ message: 'Invalid RBAC credentials' });
      expect(await userNames(started.adminUrl)).toEqual(['kong_admin']);
      started.cli.signal('SIGINT');
      expect((await started.cli.exited).code).toBe(0);
    } finally {
      await started.cli.stop();
      await own.drop();
      rmSync(stateDir, { recursive: true, force: true });
    }
  }, 300_000);

  it('says how to get Redis when none answers and redis-server is not installed', async () => {
    const conf = writeConf({ redis_url: `redis://127.0.0.1:${await freePort()}`, ...dbSettings() });
    const cli = new ManagedProcess('cluster', join(REPO_ROOT, 'bin', 'keygate'), ['cluster', 'up', '-c', conf, '--state-dir', mkdtempSync(join(tmpdir(), 'keygate-state-'))], {
      ...baseEnv(),
      PATH: '/nonexistent',
    });
    const result = await cli.exited;
    expect(result.code).toBe(1);
    expect(cli.output).toContain('redis-server is not installed');
    expect(cli.output).toContain('apt-get install redis-server');
  });
});

function dbSettings(): Record<string, string | number> {
  return database.get().settings();
}
