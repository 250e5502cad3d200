import { call } from '../test/client';
import { startVaultDev, type VaultDev } from './index';

describe('response wrapping (approle_response_wrapping)', () => {
  let vault: VaultDev;

  beforeAll(async () => {
    vault = await startVaultDev({ rootToken: 'root', appRoles: [{ roleName: 'kong', roleId: 'rid' }] });
    vault.writeSecret('secret', 'kong', { k: 'v' });
  });
  afterAll(() => vault.stop());

  it('hands out a wrapped secret ID that unwraps once and then logs in', async () => {
    const wrapped = await call(vault, 'POST', 'auth/approle/role/kong/secret-id', { headers: { 'X-Vault-Wrap-TTL': '60s' } });
    expect(wrapped.status).toBe(200);
    expect(wrapped.body.data).toBeNull();
    expect(wrapped.body.wrap_info).toMatchObject({ token: expect.stringMatching(/^hvs\./), ttl: 60, creation_path: 'auth/approle/role/kong/secret-id' });
    const wrappingToken = wrapped.body.wrap_info.token as string;

    // Kong unwraps with the wrapping token as X-Vault-Token.
    const unwrapped = await call(vault, 'POST', 'sys/wrapping/unwrap', { token: wrappingToken });
    expect(unwrapped.status).toBe(200);
    const secretId = unwrapped.body.data.secret_id as string;
    expect(await call(vault, 'POST', 'sys/wrapping/unwrap', { token: wrappingToken })).toEqual({
      status: 400,
      body: { errors: ['wrapping token is not valid or does not exist'] },
    });

    const login = await call(vault, 'POST', 'auth/approle/login', { token: null, body: { role_id: 'rid', secret_id: secretId } });
    expect((await call(vault, 'GET', 'secret/data/kong', { token: login.body.auth.client_token })).body.data.data).toEqual({ k: 'v' });
  });

  it('refuses a wrapping token used as a credential or after its TTL', async () => {
    const token = vault.wrap({ secret_id: 'x' }, { ttlSeconds: 30 });
    expect((await call(vault, 'GET', 'secret/data/kong', { token })).status).toBe(403);
    expect((await call(vault, 'POST', 'sys/wrapping/lookup', { body: { token } })).body.data).toMatchObject({ creation_ttl: 30 });
    vault.advanceClock(31);
    try {
      expect((await call(vault, 'POST', 'sys/wrapping/unwrap', { token })).status).toBe(400);
    } finally {
      vault.advanceClock(-31);
    }
  });

  it('unwraps a token passed in the body by another authenticated caller', async () => {
    const token = vault.wrap({ secret_id: 'in-body' });
    expect((await call(vault, 'POST', 'sys/wrapping/unwrap', { body: { token } })).body.data).toEqual({ secret_id: 'in-body' });
    expect((await call(vault, 'POST', 'sys/wrapping/unwrap', { token: 'bogus', body: { token: vault.wrap({}) } })).status).toBe(403);
  });
});
