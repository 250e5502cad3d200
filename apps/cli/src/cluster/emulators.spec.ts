import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { processEnv } from '@keygate/config';
import { freePort } from '@keygate/testing';
import { canConnect } from './net';
import { startEmulators, withVaultResolverAddress } from './emulators';
import type { PlannedNode } from './plan';

jest.setTimeout(60_000);

const execFileAsync = promisify(execFile);

describe('the local cluster runs the AWS emulator and vault-dev', () => {
  it('starts both with local credentials it hands to the nodes, and stops them', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'keygate-emulators-'));
    const ports = { aws: await freePort(), vault: await freePort() };
    const emulators = await startEmulators({ PATH: '/usr/bin:/bin' }, stateDir, () => undefined, ports);
    try {
      const { env } = emulators;
      expect(env).toMatchObject({ KONG_VAULT_AWS_ENDPOINT_URL: `http://127.0.0.1:${ports.aws}`, AWS_REGION: 'us-east-1', KONG_VAULT_HCV_PORT: String(ports.vault), KONG_VAULT_HCV_KV: 'v2' });
      const sm = new SecretsManagerClient({ endpoint: env.KONG_VAULT_AWS_ENDPOINT_URL, region: env.AWS_REGION, credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! }, maxAttempts: 1 });
      expect((await sm.send(new ListSecretsCommand({}))).SecretList).toEqual([]);
      sm.destroy();
      const health = await fetch(`http://127.0.0.1:${ports.vault}/v1/auth/token/lookup-self`, { headers: { 'X-Vault-Token': env.KONG_VAULT_HCV_TOKEN! } });
      expect(health.status).toBe(200);
      expect(emulators.summary.join('\n')).toContain(`aws --endpoint-url http://127.0.0.1:${ports.aws}`);
      // The hint runs as printed: Debian's aws CLI (version 1) reads the region from AWS_DEFAULT_REGION only.
      const hint = /aws CLI: (.*) aws --endpoint-url (\S+) \.\.\.\)/.exec(emulators.summary.join('\n'))!;
      const hintEnv = Object.fromEntries(hint[1]!.split(' ').map((pair) => pair.split('=') as [string, string]));
      const { stdout } = await execFileAsync('aws', ['--endpoint-url', hint[2]!, 'secretsmanager', 'list-secrets'], { env: { PATH: processEnv().PATH ?? '/usr/bin:/bin', HOME: tmpdir(), ...hintEnv } });
      expect(JSON.parse(stdout)).toEqual({ SecretList: [] });
    } finally {
      await emulators.stop();
    }
    expect(await canConnect('127.0.0.1', ports.aws, 300)).toBe(false);
    expect(await canConnect('127.0.0.1', ports.vault, 300)).toBe(false);

    // Credentials in the environment are never handed to an emulator.
    const skipped = await startEmulators({ AWS_ACCESS_KEY_ID: 'AKIAREAL', KONG_VAULT_HCV_HOST: 'vault.example.com' }, stateDir, () => undefined, ports);
    expect(skipped.env).toEqual({});
    expect(skipped.summary.join('\n')).toMatch(/aws-emulator\s+not started[\s\S]*vault-dev\s+not started/);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('starts the AWS emulator with a kept secret key that begins with a dash (base64url can)', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'keygate-emulators-'));
    const keys = { accessKeyId: 'AKIALOCALDASH1', secretAccessKey: '-dash-first-secret-key-0123456789abcdefgh' };
    writeFileSync(join(stateDir, 'aws-emulator.json'), JSON.stringify(keys), { mode: 0o600 });
    const ports = { aws: await freePort(), vault: await freePort() };
    const emulators = await startEmulators({ PATH: '/usr/bin:/bin', KONG_VAULT_HCV_HOST: 'vault.example.com' }, stateDir, () => undefined, ports);
    try {
      expect(emulators.env).toMatchObject({ AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey });
      const sm = new SecretsManagerClient({ endpoint: emulators.env.KONG_VAULT_AWS_ENDPOINT_URL, region: 'us-east-1', credentials: keys, maxAttempts: 1 });
      expect((await sm.send(new ListSecretsCommand({}))).SecretList).toEqual([]);
      sm.destroy();
    } finally {
      await emulators.stop();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('gives the vault-resolver its API port next to its status port and tells every node', () => {
    const node = (name: string, app: PlannedNode['app'], status: number): PlannedNode => ({ name, app, env: { KONG_STATUS_LISTEN: `127.0.0.1:${status}` }, statusUrl: '', ports: [] });
    const plan = withVaultResolverAddress([node('admin', 'admin', 8007), node('vault-resolver', 'vault-resolver', 8027), node('proxy-1', 'proxy', 8037)]);
    expect(plan[1]!.env).toMatchObject({ KONG_VAULT_RESOLVER_LISTEN: '127.0.0.1:8028', KONG_VAULT_RESOLVER_URL: 'http://127.0.0.1:8028' });
    expect(plan[1]!.ports).toEqual([{ host: '127.0.0.1', port: 8028 }]);
    expect(plan[0]!.env.KONG_VAULT_RESOLVER_URL).toBe('http://127.0.0.1:8028');
    expect(plan[2]!.env.KONG_VAULT_RESOLVER_URL).toBe('http://127.0.0.1:8028');
  });
});
