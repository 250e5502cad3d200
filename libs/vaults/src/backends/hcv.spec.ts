import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { awsEnvironment } from '@keygate/config';
import { hcvVault } from '@keygate/entities';
import { silentLogger } from '@keygate/logging';
import { startVaultDev, type VaultDev } from '@keygate/tool-vault-dev';
import type { BackendContext } from './backend';
import { hcvBackend } from './hcv';

jest.setTimeout(20_000);

describe('hcv backend against vault-dev', () => {
  let vault: VaultDev;
  let dir: string;
  const context: BackendContext = { env: {}, aws: awsEnvironment({}), logger: silentLogger(), timeoutMs: 2000 };

  beforeAll(async () => {
    vault = await startVaultDev({
      rootToken: 'root',
      mounts: [{ path: 'secret', version: 2 }, { path: 'kv1', version: 1 }],
      namespaces: ['team-a'],
      appRoles: [{ roleName: 'kong', roleId: 'role-1', secretId: 'secret-1', tokenTtlSeconds: 60 }],
      kubernetesRoles: [{ role: 'gateway', jwt: 'sa-jwt' }],
    });
    vault.writeSecret('secret', 'kong/db', { pg_user: 'kong', pg_password: 'v1' });
    vault.writeSecret('secret', 'kong/db', { pg_user: 'kong', pg_password: 'v2' });
    vault.writeSecret('kv1', 'kong/db', { pg_password: 'kv1-value' });
    vault.writeSecret('secret', 'kong/db', { pg_password: 'team-a-value' }, { namespace: 'team-a' });
    dir = mkdtempSync(join(tmpdir(), 'keygate-hcv-'));
  });
  afterAll(() => vault.stop());

  const config = (extra: Record<string, unknown>) => hcvVault.config.parse({ host: '127.0.0.1', port: vault.port, ...extra });
  const read = (extra: Record<string, unknown>, resource = 'kong/db', version?: number) => hcvBackend.connect(config(extra), context).read(resource, version);

  it('reads KV v2 (latest or #version) and KV v1 as JSON text of the data', async () => {
    expect(JSON.parse(await read({ token: 'root', kv: 'v2' }))).toEqual({ pg_user: 'kong', pg_password: 'v2' });
    expect(JSON.parse(await read({ token: 'root', kv: 'v2' }, 'kong/db', 1)).pg_password).toBe('v1');
    expect(JSON.parse(await read({ token: 'root', kv: 'v1', mount: 'kv1' }))).toEqual({ pg_password: 'kv1-value' });
    await expect(read({ token: 'root', kv: 'v2' }, 'kong/absent')).rejects.toMatchObject({ code: 'VAULT_SECRET_NOT_FOUND' });
  });

  it('sends the namespace header', async () => {
    expect(JSON.parse(await read({ token: 'root', kv: 'v2', namespace: 'team-a' })).pg_password).toBe('team-a-value');
  });

  it('answers a wrong token with Vault 403 permission denied, without the token', async () => {
    const error = (await read({ token: 'wrong-token', kv: 'v2' }).then(
      () => undefined,
      (err: unknown) => err as Error,
    ))!;
    expect(error.message).toBe('unable to retrieve secret from vault: 403: permission denied');
  });

  it('logs in with AppRole (also with a response-wrapped secret id) and with Kubernetes', async () => {
    expect(JSON.parse(await read({ kv: 'v2', auth_method: 'approle', approle_role_id: 'role-1', approle_secret_id: 'secret-1' })).pg_user).toBe('kong');
    const secretIdFile = join(dir, 'secret-id');
    writeFileSync(secretIdFile, 'secret-1\n');
    expect(JSON.parse(await read({ kv: 'v2', auth_method: 'approle', approle_role_id: 'role-1', approle_secret_id_file: secretIdFile })).pg_user).toBe('kong');
    const wrapped = vault.wrap({ secret_id: 'secret-1' });
    const reader = hcvBackend.connect(config({ kv: 'v2', auth_method: 'approle', approle_role_id: 'role-1', approle_secret_id: wrapped, approle_response_wrapping: true }), context);
    expect(JSON.parse(await reader.read('kong/db', undefined)).pg_user).toBe('kong');
    vault.advanceClock(61); // the login token expired: the reader logs in again with the unwrapped id
    expect(JSON.parse(await reader.read('kong/db', undefined)).pg_user).toBe('kong');

    const jwt = join(dir, 'token');
    writeFileSync(jwt, 'sa-jwt');
    expect(JSON.parse(await read({ kv: 'v2', auth_method: 'kubernetes', kube_role: 'gateway', kube_api_token_file: jwt })).pg_user).toBe('kong');
    writeFileSync(jwt, 'other-jwt');
    await expect(read({ kv: 'v2', auth_method: 'kubernetes', kube_role: 'gateway', kube_api_token_file: jwt })).rejects.toThrow(/no authentication mechanism worked for vault \(kubernetes login answered 403/);
  });

  it('reports an unreachable Vault within its timeout', async () => {
    vault.setAvailable(false, { mode: 'reset' });
    try {
      await expect(read({ token: 'root', kv: 'v2' })).rejects.toThrow(/cannot reach http:\/\/127.0.0.1:\d+/);
    } finally {
      vault.setAvailable(true);
    }
  });
});
