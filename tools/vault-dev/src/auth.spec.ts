import { call } from '../test/client';
import { startVaultDev, type VaultDev } from './index';

describe('tokens, AppRole and Kubernetes auth', () => {
  let vault: VaultDev;

  beforeAll(async () => {
    vault = await startVaultDev({
      rootToken: 'root',
      appRoles: [{ roleName: 'kong', roleId: 'role-id-1', secretId: 'secret-id-1', policies: ['kong-read'], tokenTtlSeconds: 60 }],
      appRoleAuthPath: 'approle-custom',
      kubernetesRoles: [{ role: 'gateway', jwt: 'sa-jwt-1', policies: ['kong-read'], tokenTtlSeconds: 120, serviceAccountName: 'kong', serviceAccountNamespace: 'kong' }],
      policies: {
        'kong-read': [
          { path: 'secret/data/kong/*', capabilities: ['read'] },
          { path: 'secret/data/kong/forbidden', capabilities: ['deny'] },
        ],
      },
    });
    vault.writeSecret('secret', 'kong/db', { pg_password: 'KongFTW' });
    vault.writeSecret('secret', 'kong/forbidden', { no: true });
    vault.writeSecret('secret', 'other/db', { x: 1 });
  });
  afterAll(() => vault.stop());

  it('takes the token from X-Vault-Token or Authorization: Bearer and refuses a wrong or missing one', async () => {
    expect((await call(vault, 'GET', 'secret/data/kong/db')).status).toBe(200);
    expect((await call(vault, 'GET', 'secret/data/kong/db', { token: null, headers: { Authorization: 'Bearer root' } })).status).toBe(200);
    expect(await call(vault, 'GET', 'secret/data/kong/db', { token: 'wrong' })).toEqual({ status: 403, body: { errors: ['permission denied'] } });
    expect(await call(vault, 'GET', 'secret/data/kong/db', { token: null })).toEqual({ status: 403, body: { errors: ['permission denied'] } });
  });

  it('describes the root token with lookup-self', async () => {
    const self = await call(vault, 'GET', 'auth/token/lookup-self');
    expect(self.body.data).toMatchObject({ id: 'root', policies: ['root'], ttl: 0, expire_time: null, path: 'auth/token/root', display_name: 'root' });
  });

  it('logs in with AppRole at a custom path and issues a token limited by its policy and TTL', async () => {
    const login = await call(vault, 'POST', 'auth/approle-custom/login', { token: null, body: { role_id: 'role-id-1', secret_id: 'secret-id-1' } });
    expect(login.status).toBe(200);
    expect(login.body.auth).toMatchObject({
      client_token: expect.stringMatching(/^hvs\./),
      accessor: expect.any(String),
      policies: ['default', 'kong-read'],
      token_policies: ['default', 'kong-read'],
      metadata: { role_name: 'kong' },
      lease_duration: 60,
      renewable: true,
    });
    const token = login.body.auth.client_token as string;
    expect((await call(vault, 'GET', 'secret/data/kong/db', { token })).body.data.data).toEqual({ pg_password: 'KongFTW' });
    expect((await call(vault, 'GET', 'secret/data/other/db', { token })).status).toBe(403);
    expect((await call(vault, 'GET', 'secret/data/kong/forbidden', { token })).status).toBe(403);
    expect((await call(vault, 'POST', 'secret/data/kong/db', { token, body: { data: { x: 1 } } })).status).toBe(403);
    expect((await call(vault, 'GET', 'auth/token/lookup-self', { token })).body.data).toMatchObject({ ttl: 60, path: 'auth/approle-custom/login', policies: ['default', 'kong-read'] });

    vault.advanceClock(61);
    try {
      expect(await call(vault, 'GET', 'secret/data/kong/db', { token })).toEqual({ status: 403, body: { errors: ['permission denied'] } });
    } finally {
      vault.advanceClock(-61);
    }
  });

  it('refuses bad AppRole credentials the way Vault does', async () => {
    const bad = { status: 400, body: { errors: ['invalid role or secret ID'] } };
    expect(await call(vault, 'POST', 'auth/approle-custom/login', { token: null, body: { role_id: 'role-id-1', secret_id: 'nope' } })).toEqual(bad);
    expect(await call(vault, 'POST', 'auth/approle-custom/login', { token: null, body: { role_id: 'nope', secret_id: 'secret-id-1' } })).toEqual(bad);
    expect(await call(vault, 'POST', 'auth/approle-custom/login', { token: null, body: {} })).toEqual({ status: 400, body: { errors: ['missing role_id'] } });
    expect((await call(vault, 'POST', 'auth/approle/login', { token: null, body: { role_id: 'role-id-1', secret_id: 'secret-id-1' } })).status).toBe(403);
  });

  it('logs in with a Kubernetes service-account JWT', async () => {
    const login = await call(vault, 'POST', 'auth/kubernetes/login', { token: null, body: { role: 'gateway', jwt: 'sa-jwt-1' } });
    expect(login.body.auth).toMatchObject({ lease_duration: 120, policies: ['default', 'kong-read'], metadata: { role: 'gateway', service_account_name: 'kong', service_account_namespace: 'kong' } });
    expect((await call(vault, 'GET', 'secret/data/kong/db', { token: login.body.auth.client_token })).status).toBe(200);
    expect(await call(vault, 'POST', 'auth/kubernetes/login', { token: null, body: { role: 'gateway', jwt: 'forged' } })).toEqual({ status: 403, body: { errors: ['permission denied'] } });
    expect(await call(vault, 'POST', 'auth/kubernetes/login', { token: null, body: { role: 'nope', jwt: 'sa-jwt-1' } })).toEqual({ status: 400, body: { errors: ['invalid role name "nope"'] } });
  });

  it('renews, revokes and creates tokens', async () => {
    const created = await call(vault, 'POST', 'auth/token/create', { body: { policies: ['kong-read'], ttl: '30s' } });
    const token = created.body.auth.client_token as string;
    expect(created.body.auth).toMatchObject({ policies: ['default', 'kong-read'], lease_duration: 30, renewable: true });
    vault.advanceClock(20);
    try {
      expect((await call(vault, 'POST', 'auth/token/renew-self', { token, body: { increment: '30s' } })).body.auth.lease_duration).toBe(30);
      vault.advanceClock(20);
      expect((await call(vault, 'GET', 'secret/data/kong/db', { token })).status).toBe(200);
    } finally {
      vault.advanceClock(-40);
    }
    expect((await call(vault, 'POST', 'auth/token/revoke-self', { token })).status).toBe(204);
    expect((await call(vault, 'GET', 'auth/token/lookup-self', { token })).status).toBe(403);

    const helperToken = vault.createToken({ policies: ['kong-read'], ttlSeconds: 5 });
    expect((await call(vault, 'GET', 'secret/data/kong/db', { token: helperToken })).status).toBe(200);
  });
});
