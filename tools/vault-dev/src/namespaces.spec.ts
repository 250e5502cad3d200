import { call } from '../test/client';
import { startVaultDev, type VaultDev } from './index';

describe('namespaces (X-Vault-Namespace)', () => {
  let vault: VaultDev;

  beforeAll(async () => {
    vault = await startVaultDev({
      rootToken: 'root',
      namespaces: ['team-a', 'team-b'],
      appRoles: [{ roleName: 'a', roleId: 'rid', secretId: 'sid', namespace: 'team-a' }],
    });
  });
  afterAll(() => vault.stop());

  it('gives each namespace its own storage', async () => {
    await call(vault, 'POST', 'secret/data/shared', { namespace: 'team-a', body: { data: { owner: 'a' } } });
    await call(vault, 'POST', 'secret/data/shared', { namespace: 'team-b/', body: { data: { owner: 'b' } } });
    expect((await call(vault, 'GET', 'secret/data/shared', { namespace: 'team-a' })).body.data.data).toEqual({ owner: 'a' });
    expect((await call(vault, 'GET', 'secret/data/shared', { namespace: 'team-b' })).body.data.data).toEqual({ owner: 'b' });
    expect((await call(vault, 'GET', 'secret/data/shared')).status).toBe(404);
    vault.writeSecret('secret', 'seeded', { s: 1 }, { namespace: 'team-b' });
    expect((await call(vault, 'GET', 'secret/data/seeded', { namespace: 'team-b' })).body.data.data).toEqual({ s: 1 });
  });

  it('keeps a namespace token inside its namespace and refuses unknown namespaces', async () => {
    const login = await call(vault, 'POST', 'auth/approle/login', { token: null, namespace: 'team-a', body: { role_id: 'rid', secret_id: 'sid' } });
    const token = login.body.auth.client_token as string;
    expect((await call(vault, 'GET', 'auth/token/lookup-self', { token, namespace: 'team-a' })).body.data.namespace_path).toBe('team-a/');
    expect((await call(vault, 'GET', 'secret/data/shared', { token, namespace: 'team-a' })).status).toBe(200);
    expect((await call(vault, 'GET', 'secret/data/shared', { token, namespace: 'team-b' })).status).toBe(403);
    expect((await call(vault, 'GET', 'secret/data/shared', { token })).status).toBe(403);
    // The role lives in team-a only.
    expect((await call(vault, 'POST', 'auth/approle/login', { token: null, body: { role_id: 'rid', secret_id: 'sid' } })).status).toBe(400);
    expect((await call(vault, 'GET', 'secret/data/shared', { namespace: 'team-z' })).status).toBe(404);
  });
});
