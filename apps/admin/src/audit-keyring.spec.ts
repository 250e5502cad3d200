import { randomBytes } from 'node:crypto';
import { startVaultDev, type VaultDev } from '@keygate/tool-vault-dev';
import { AppProcess, httpClient, plantedSecret, rsaKeyFiles, useTestDatabase, type HttpClient } from '@keygate/testing';

/**
 * Keyring import, recovery and vault sync are recorded in `/audit/objects` (dao_name `keyring`),
 * with ids and facts only: the key material, the export, the recovery private key and the
 * Vault token and values planted here are searched for in every audit row.
 */
const database = useTestDatabase();
const rsa = rsaKeyFiles();
const clusterSecret = plantedSecret('cluster-secret');
const planted: string[] = [clusterSecret];
let vault: VaultDev;
jest.setTimeout(180_000);

type Row = Record<string, unknown>;
const keyringRows = async (): Promise<Row[]> =>
  database.get().query<Row>("SELECT operation, entity_key, entity, request_id FROM audit_objects WHERE dao_name = 'keyring' ORDER BY seq");
const everyAuditRow = async () =>
  JSON.stringify([
    ...(await database.get().query('SELECT row_to_json(t)::text AS r FROM audit_requests t')),
    ...(await database.get().query('SELECT row_to_json(t)::text AS r FROM audit_objects t')),
    ...(await database.get().query('SELECT row_to_json(t)::text AS r FROM audit_heads t')),
  ]);
/** PEM bodies are searched line by line: any 64-character line of the key would be a leak. */
const pemLines = (pem: string) => pem.split('\n').filter((l) => l.length >= 40 && !l.startsWith('-----'));

const base = () => ({ ...database.get().env(), KONG_AUDIT_LOG: 'on', KONG_KEYRING_ENABLED: 'on', KONG_KEYRING_CLUSTER_SECRET: clusterSecret });

beforeAll(async () => {
  vault = await startVaultDev({});
});
afterAll(() => vault?.stop());

describe('audit records of keyring import, recover and vault sync', () => {
  it('records import/raw, import and recover with the key ids, and no key, export or private key', async () => {
    const env = { ...base(), KONG_KEYRING_RECOVERY_PUBLIC_KEY: rsa.publicPath, KONG_KEYRING_PUBLIC_KEY: rsa.publicPath, KONG_KEYRING_PRIVATE_KEY: rsa.privatePath };
    let admin = await AppProcess.start('admin', { env });
    try {
      let api: HttpClient = httpClient(admin.url('admin'));
      const material = randomBytes(32).toString('base64');
      planted.push(material);
      expect((await api.post('/keyring/import/raw', { form: { id: 'auditK01', data: material } })).status).toBe(201);
      const exported = (await api.post<{ data: string }>('/keyring/export')).json.data;
      planted.push(exported);

      // Every key is lost with the only node (no blob path): recovery, then import, bring them back.
      await admin.stop();
      admin = await AppProcess.start('admin', { env });
      api = httpClient(admin.url('admin'));
      const recovered = await api.post<{ recovered: string[] }>('/keyring/recover', { form: { recovery_private_key: rsa.privatePem } });
      expect(recovered.status).toBe(200);
      expect(recovered.json.recovered).toContain('auditK01');
      expect((await api.post('/keyring/import', { form: { data: exported } })).status).toBe(200);

      const rows = await keyringRows();
      const ops = rows.map((r) => r.operation);
      expect(ops).toEqual(expect.arrayContaining(['import', 'recover']));
      expect(rows.find((r) => r.operation === 'import' && r.entity_key === 'auditK01')).toMatchObject({ request_id: expect.any(String) });
      expect(JSON.stringify(rows.filter((r) => r.operation === 'recover'))).toContain('auditK01');
      // Two imports (raw, then the export) after the recovery.
      expect(ops.filter((op) => op === 'import').length).toBeGreaterThanOrEqual(2);

      const everything = await everyAuditRow();
      for (const value of [...planted, ...pemLines(rsa.privatePem)]) expect(everything).not.toContain(value);
    } finally {
      await admin.stop();
    }
  });

  it('records a vault sync with the key ids it found, and no Vault token or key material', async () => {
    const token = vault.rootToken;
    const first = plantedSecret('vault-key-material');
    const second = plantedSecret('vault-key-material-2');
    planted.push(first, second);
    await vault.writeSecret('secret', 'keygate/audit', { id: 'vaultA01', key: first });
    const admin = await AppProcess.start('admin', {
      env: {
        ...base(),
        KONG_KEYRING_STRATEGY: 'vault',
        KONG_KEYRING_VAULT_HOST: vault.url,
        KONG_KEYRING_VAULT_MOUNT: 'secret',
        KONG_KEYRING_VAULT_PATH: 'keygate/audit',
        KONG_KEYRING_VAULT_TOKEN: token,
      },
    });
    try {
      const api = httpClient(admin.url('admin'));
      await vault.writeSecret('secret', 'keygate/audit', { id: 'vaultA02', key: second });
      expect((await api.post('/keyring/vault/sync')).status).toBe(204);
      const sync = (await keyringRows()).filter((r) => r.operation === 'vault-sync');
      expect(sync.length).toBeGreaterThanOrEqual(1);
      expect(JSON.stringify(sync)).toContain('vaultA02');
      const everything = await everyAuditRow();
      for (const value of [...planted, token]) expect(everything).not.toContain(value);
    } finally {
      await admin.stop();
    }
  });
});
