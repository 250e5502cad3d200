import { call } from '../test/client';
import { parseCli, readyLine } from './cli';
import { startVaultDev, type VaultDev } from './index';

describe('setAvailable and lifecycle', () => {
  let vault: VaultDev;

  beforeAll(async () => {
    vault = await startVaultDev();
    vault.writeSecret('secret', 'kept', { v: 1 });
  });
  afterAll(() => vault.stop());

  it('answers 503 "Vault is sealed" while down and the same data once back', async () => {
    vault.setAvailable(false);
    expect(await call(vault, 'GET', 'secret/data/kept')).toEqual({ status: 503, body: { errors: ['Vault is sealed'] } });
    expect((await call(vault, 'GET', 'sys/health', { token: null })).body).toMatchObject({ sealed: true });
    vault.setAvailable(true);
    expect((await call(vault, 'GET', 'secret/data/kept')).body.data.data).toEqual({ v: 1 });
    expect(await call(vault, 'GET', 'sys/health', { token: null })).toMatchObject({ status: 200, body: { sealed: false, initialized: true } });
  });

  it('drops connections in reset mode', async () => {
    vault.setAvailable(false, { mode: 'reset' });
    try {
      await expect(call(vault, 'GET', 'secret/data/kept')).rejects.toThrow();
    } finally {
      vault.setAvailable(true);
    }
    expect((await call(vault, 'GET', 'secret/data/kept')).status).toBe(200);
  });

  it('generates a root token when none is given and stops cleanly twice', async () => {
    const other = await startVaultDev({ mounts: [{ path: 'kv', version: 1 }] });
    expect(other.rootToken).toMatch(/^hvs\./);
    await other.stop();
    await other.stop();
    await expect(fetch(`${other.url}/v1/sys/health`)).rejects.toThrow();
  });

  it('refuses bad options before listening', async () => {
    await expect(startVaultDev({ mounts: [{ path: 'sys', version: 2 }] })).rejects.toThrow("'sys' can't be a mount path");
    await expect(startVaultDev({ port: 70000 })).rejects.toThrow('port must be a port number');
  });
});

describe('keygate-vault-dev command line', () => {
  it('reads the documented flags and VAULT_DEV_ROOT_TOKEN_ID', () => {
    expect(parseCli(['--port', '8200', '--root-token', 'root'])).toMatchObject({ port: 8200, rootToken: 'root' });
    expect(parseCli([], { VAULT_DEV_ROOT_TOKEN_ID: 'from-env' })).toMatchObject({ rootToken: 'from-env' });
    expect(
      parseCli(['--mount', 'secret:2', '--mount', 'kv1:1', '--approle', 'kong:rid:s:id', '--kubernetes-role', 'gw:a.b.c', '--namespace', 'ns1']),
    ).toMatchObject({
      mounts: [{ path: 'secret', version: 2 }, { path: 'kv1', version: 1 }],
      appRoles: [{ roleName: 'kong', roleId: 'rid', secretId: 's:id' }],
      kubernetesRoles: [{ role: 'gw', jwt: 'a.b.c' }],
      namespaces: ['ns1'],
    });
    expect(() => parseCli(['--mount', 'secret:3'])).toThrow('the version must be 1 or 2');
    expect(() => parseCli(['--port', 'x'])).toThrow("--port must be a whole number, not 'x'");
  });

  it('prints one JSON line, with the root token only when it generated it', async () => {
    const vault = await startVaultDev();
    try {
      expect(JSON.parse(readyLine(vault, false))).toEqual({ url: vault.url, port: vault.port });
      expect(JSON.parse(readyLine(vault, true))).toEqual({ url: vault.url, port: vault.port, rootToken: vault.rootToken });
    } finally {
      await vault.stop();
    }
  });
});
