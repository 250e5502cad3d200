import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ENV_PREFIX, KEYS, VAULT_KEY_PATTERN, loadConfig } from '@keygate/config';
import { REPO_ROOT } from '@keygate/testing';

interface Service {
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  image?: string;
  build?: { context?: string; args?: Record<string, string> };
}

const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const NODES = ['admin', 'proxy', 'keyring-broker', 'vault-resolver'];

/** `${VAR:-default}` as compose would substitute it with VAR unset. */
const substitute = (value: string) => value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');

describe('docker-compose.yml', () => {
  it('has the whole cluster: postgres, redis, the AWS and Vault emulators, a one-shot migrations service and every node', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['admin', 'aws-emulator', 'front', 'keyring-broker', 'migrations', 'postgres', 'proxy', 'redis', 'vault-dev', 'vault-resolver']);
    expect(compose.services.migrations?.entrypoint?.join(' ')).toContain('keygate migrations bootstrap && keygate migrations up');
  });

  it.each(NODES)('starts %s with `keygate start <app>`', (node) => {
    expect(compose.services[node]?.command).toEqual(['start', node]);
  });

  it.each([...NODES, 'migrations'])('gives %s only KONG_* settings that exist and validate', async (node) => {
    const env = Object.fromEntries(Object.entries(compose.services[node]?.environment ?? {}).map(([k, v]) => [k, substitute(String(v))]));
    for (const name of Object.keys(env).filter((n) => n.startsWith(ENV_PREFIX))) {
      const key = name.slice(ENV_PREFIX.length).toLowerCase();
      // Kong's dynamic vault_<backend>_<option> keys are settings too.
      if (!VAULT_KEY_PATTERN.test(key)) expect(Object.keys(KEYS)).toContain(key);
    }
    const loaded = await loadConfig({ env, defaultPaths: [] });
    // The only warning: the cluster secret is the published local-only placeholder.
    expect(loaded.warnings).toEqual([expect.stringContaining('keyring_cluster_secret is a local-only placeholder')]);
    expect(loaded.config.pg_host).toBe('postgres');
    expect(loaded.config.keyring_enabled).toBe(true);
    expect(loaded.config.keyring_strategy).toBe('cluster');
  });

  it('warns about no secret but a "local-only-" placeholder, so KEYGATE_CLUSTER_SECRET silences it', async () => {
    const env = { KONG_DATABASE: 'postgres', KONG_KEYRING_ENABLED: 'on' };
    expect((await loadConfig({ env: { ...env, KONG_KEYRING_CLUSTER_SECRET: 'a-real-secret-of-this-deployment' }, defaultPaths: [] })).warnings).toEqual([]);
    expect((await loadConfig({ env: { ...env, KONG_KEYRING_CLUSTER_SECRET: 'local-only-anything' }, defaultPaths: [] })).warnings).toHaveLength(1);
  });

  /** Published host ports as [host ip, first port, last port] with the defaults substituted. */
  const published = (service: string) =>
    (compose.services[service]?.ports ?? []).map((spec) => {
      const [ip, range] = substitute(spec).split(':') as [string, string];
      const [first, last] = range.split('-').map(Number) as [number, number?];
      return [ip, first, last ?? first] as const;
    });

  it('publishes on 127.0.0.1 only, and no proxy replica can take the admin port (--scale proxy=N)', () => {
    const all = Object.keys(compose.services).flatMap((name) => published(name).map((p) => ({ name, p })));
    for (const { p } of all) expect(p[0]).toBe('127.0.0.1');
    expect(published('admin')).toEqual([['127.0.0.1', 8001, 8001]]);
    expect(published('front')).toEqual([['127.0.0.1', 8000, 8000]]);
    const ranges = published('proxy');
    expect(ranges.every(([, first, last]) => last - first + 1 >= 32)).toBe(true);
    for (const a of all) {
      for (const b of all) {
        if (a === b) continue;
        const overlap = a.p[1] <= b.p[2] && b.p[1] <= a.p[2];
        if (overlap) throw new Error(`${a.name} ${a.p.join(':')} overlaps ${b.name} ${b.p.join(':')}`);
      }
    }
  });

  it('runs images the test can choose, defaulting to the official names', () => {
    expect(substitute(compose.services.postgres?.image ?? '')).toBe('postgres:16');
    expect(substitute(compose.services.redis?.image ?? '')).toBe('redis:7');
    for (const node of [...NODES, 'migrations', 'front']) expect(substitute(compose.services[node]?.image ?? '')).toBe('keygate:local');
  });

  it('lets every service that runs the Keygate image build it, so a clean clone never tries to pull keygate:local', () => {
    const keygate = Object.entries(compose.services).filter(([, s]) => substitute(s.image ?? '') === 'keygate:local');
    expect(keygate.map(([name]) => name).sort()).toEqual(['admin', 'aws-emulator', 'front', 'keyring-broker', 'migrations', 'proxy', 'vault-dev', 'vault-resolver']);
    for (const [, service] of keygate) {
      expect(service.build?.context).toBe('.');
      expect(substitute(service.build?.args?.NODE_IMAGE ?? '')).toBe('node:20-bookworm-slim');
    }
  });

  it('is valid for docker-compose itself when it is installed', () => {
    const probe = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
    // The structural checks above always run; this one needs Debian's docker-compose (.ci/run installs it).
    if (probe.status !== 0) return;
    const result = spawnSync('docker-compose', ['-f', join(REPO_ROOT, 'docker-compose.yml'), 'config', '-q'], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
