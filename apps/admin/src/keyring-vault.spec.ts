import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encryptField, keyedDigest, Secret } from '@keygate/crypto';
import { startVaultDev, type VaultDev } from '@keygate/tool-vault-dev';
import { AppProcess, httpClient, useTestDatabase } from '@keygate/testing';

const database = useTestDatabase();
let vault: VaultDev;

beforeAll(async () => {
  vault = await startVaultDev({ kubernetesRoles: [{ role: 'keygate', jwt: 'service-account-jwt' }] });
});
afterAll(() => vault?.stop());

const env = (extra: Record<string, string>) => ({
  ...database.get().env(),
  KONG_KEYRING_ENABLED: 'on',
  KONG_KEYRING_STRATEGY: 'vault',
  KONG_KEYRING_VAULT_HOST: vault.url,
  KONG_KEYRING_VAULT_MOUNT: 'secret',
  KONG_KEYRING_VAULT_PATH: 'keygate/keyring',
  ...extra,
});

describe('keyring_strategy = vault', () => {
  it('reads every version from Vault KV v2 (key = SHA-256 of "key"), activates current_version, and re-reads on /keyring/vault/sync', async () => {
    await vault.writeSecret('secret', 'keygate/keyring', { id: 'vaultK01', key: 'first secret material' });
    await vault.writeSecret('secret', 'keygate/keyring', { id: 'vaultK02', key: 'second secret material' });
    const admin = await AppProcess.start('admin', { env: env({ KONG_KEYRING_VAULT_TOKEN: vault.rootToken }) });
    try {
      const api = httpClient(admin.url('admin'));
      expect((await api.get('/keyring')).json).toEqual({ ids: ['vaultK01', 'vaultK02'], active: 'vaultK02', index_key: 'missing' });

      // A value written with version 1's key (SHA-256 of its "key" string) reads back.
      const consumer = (await api.post<{ id: string }>('/consumers', { form: { username: 'v' } })).json;
      const credId = '1b0f3a3e-2a7c-4c59-9d3a-2f0c2b7d9a11';
      const key = { id: 'vaultK01', key: new Secret(createHash('sha256').update('first secret material').digest()) };
      const value = encryptField('f'.repeat(40), key, { table: 'basicauth_credentials', field: 'password', id: credId });
      await database.get().query("INSERT INTO basicauth_credentials (id, created_at, consumer_id, username, password) VALUES ($1, now(), $2, 'v', $3)", [credId, consumer.id, value]);
      expect((await api.get(`/basic-auths/${credId}`)).json).toMatchObject({ password: 'f'.repeat(40) });

      // Without an index_key in Vault, key-auth digests cannot be keyed: writes answer 503 saying why.
      const refused = await api.post<{ message: string }>('/consumers/v/key-auth', { form: { key: 'vault-user-key' } });
      expect(refused).toMatchObject({ status: 503, json: { message: expect.stringContaining('index key') } });

      await vault.writeSecret('secret', 'keygate/keyring', { id: 'vaultK03', key: 'third', index_key: 'index material' });
      expect((await api.get('/keyring')).json).toMatchObject({ active: 'vaultK02' });
      expect((await api.post('/keyring/vault/sync')).status).toBe(204);
      expect((await api.get('/keyring')).json).toEqual({ ids: ['vaultK01', 'vaultK02', 'vaultK03'], active: 'vaultK03', index_key: 'held' });
      const created = await api.post<{ id: string }>('/consumers/v/key-auth', { form: { key: 'vault-user-key' } });
      expect(created.status).toBe(201);
      const indexKey = new Secret(createHash('sha256').update('index material').digest());
      expect(await database.get().query('SELECT key_digest FROM keyauth_credentials WHERE id = $1', [created.json.id])).toEqual([
        { key_digest: keyedDigest(indexKey, 'key-auth', 'vault-user-key') },
      ]);

      // Vault is read, never written; cluster-only endpoints refuse; the keyring tables stay empty.
      expect(await api.post('/keyring/generate')).toMatchObject({ status: 400, json: { message: "endpoint only supported for 'cluster' strategy (keyring_strategy)" } });
      expect(await database.get().query('SELECT id FROM keyring_meta')).toEqual([]);
      expect(await api.post('/keyring/vault/sync', { form: { token: 'wrong-token' } })).toMatchObject({ status: 502, json: { message: expect.stringContaining('refused the token (403)') } });
    } finally {
      await admin.stop();
    }
  });

  it('authenticates with Kubernetes auth from the service account token file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keygate-kube-'));
    writeFileSync(join(dir, 'token'), 'service-account-jwt');
    const admin = await AppProcess.start('admin', {
      env: env({ KONG_KEYRING_VAULT_AUTH_METHOD: 'kubernetes', KONG_KEYRING_VAULT_KUBE_ROLE: 'keygate', KONG_KEYRING_VAULT_KUBE_API_TOKEN_FILE: join(dir, 'token') }),
    });
    try {
      expect((await httpClient(admin.url('admin')).get<{ active: string }>('/keyring')).json.active).toBe('vaultK03');
    } finally {
      await admin.stop();
    }
  });

  it('starts without keys, saying so, when Vault is unreachable; writes needing a key answer 503', async () => {
    const admin = await AppProcess.start('admin', { env: env({ KONG_KEYRING_VAULT_HOST: 'http://127.0.0.1:9', KONG_KEYRING_VAULT_TOKEN: 't' }), timeoutMs: 60_000 });
    try {
      const api = httpClient(admin.url('admin'));
      expect((await api.get('/keyring')).json).toEqual({ ids: [], index_key: 'missing' });
      expect(admin.output).toContain('cannot read the keyring from Vault');
      await api.post('/consumers', { form: { username: 'w' } });
      expect((await api.post('/consumers/w/key-auth')).status).toBe(503);
    } finally {
      await admin.stop();
    }
  });
});
