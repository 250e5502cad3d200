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
}

const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const NODES = ['admin', 'proxy', 'keyring-broker', 'vault-resolver'];

/** `${VAR:-default}` as compose would substitute it with VAR unset. */
const substitute = (value: string) => value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');

describe('docker-compose.yml', () => {
  it('has the whole cluster: postgres, redis, the AWS and Vault emulators, a one-shot migrations service and every node', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['admin', 'aws-emulator', 'keyring-broker', 'migrations', 'postgres', 'proxy', 'redis', 'vault-dev', 'vault-resolver']);
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
    expect(loaded.warnings).toEqual([]);
    expect(loaded.config.pg_host).toBe('postgres');
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
