import type pg from 'pg';
import { AdminSecrets } from '@keygate/admin-auth';
import { Secret } from '@keygate/crypto';
import { AppProcess, httpClient, plantedSecret, rsaKeyFiles, runCli, useTestDatabase, type HttpClient } from '@keygate/testing';

/**
 * A database writer saves RBAC rows and restores them after a revocation. Every restored copy
 * is signed in an earlier RBAC epoch, so none of them grants anything again.
 */
const database = useTestDatabase();
const rsa = rsaKeyFiles();
const clusterSecret = plantedSecret('cluster-secret');
const password = plantedSecret('kong-password');
let admin: AppProcess;
let attacker: pg.Client;
const tokens: Record<string, string> = {};

const env = () => ({
  ...database.get().env(),
  KONG_ENFORCE_RBAC: 'on',
  KONG_KEYRING_ENABLED: 'on',
  KONG_KEYRING_RECOVERY_PUBLIC_KEY: rsa.publicPath,
  KONG_KEYRING_CLUSTER_SECRET: clusterSecret,
});
const as = (user: string): HttpClient => httpClient(admin.url('admin'), { 'Kong-Admin-Token': user === 'kong_admin' ? password : tokens[user]! });
const sa = () => as('kong_admin');

async function createUser(name: string, roles: string[]): Promise<void> {
  tokens[name] = plantedSecret(`token-${name}`);
  expect((await sa().post('/rbac/users', { json: { name, user_token: tokens[name] } })).status).toBe(201);
  if (roles.length > 0) expect((await sa().post(`/rbac/users/${name}/roles`, { json: { roles: roles.join(',') } })).status).toBe(201);
}

type Row = Record<string, unknown>;
const save = async (sql: string, args: unknown[] = []): Promise<Row[]> => (await attacker.query(sql, args)).rows as Row[];
/** Puts saved rows back as they were (insert, or overwrite the row with the same key). */
async function restore(table: string, rows: Row[], key: string[]): Promise<void> {
  for (const row of rows) {
    const columns = Object.keys(row);
    const updates = columns.filter((c) => !key.includes(c)).map((c) => `${c} = EXCLUDED.${c}`);
    await attacker.query(
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')}) ON CONFLICT (${key.join(', ')}) DO UPDATE SET ${updates.join(', ')}`,
      columns.map((c) => row[c]),
    );
  }
}

beforeAll(async () => {
  const seeded = await runCli(['migrations', 'up'], { env: { ...env(), KONG_PASSWORD: password } });
  expect(seeded.stdout).toContain("RBAC super admin 'kong_admin' created");
  admin = await AppProcess.start('admin', { env: env() });
  attacker = await database.get().attacker({ tables: 'write' });
}, 120_000);
afterAll(() => admin?.stop());

describe('rows restored after a revocation grant nothing', () => {
  it('a deleted user put back: its token stays refused', async () => {
    await createUser('gone', ['read-only']);
    const user = await save("SELECT * FROM rbac_users WHERE name = 'gone'");
    const links = await save('SELECT * FROM rbac_user_roles WHERE user_id = $1', [user[0]!.id]);
    const ownRole = await save("SELECT * FROM rbac_roles WHERE name = 'gone'");
    expect((await as('gone').get('/consumers')).status).toBe(200);
    expect((await sa().delete('/rbac/users/gone')).status).toBe(204);
    await restore('rbac_users', user, ['id']);
    await restore('rbac_roles', ownRole, ['id']);
    await restore('rbac_user_roles', links, ['user_id', 'role_id']);
    expect((await as('gone').get('/consumers')).status).toBe(401);
    await admin.waitForLine((l) => l.includes('RBAC user row fails its MAC') && l.includes(String(user[0]!.id)));
  });

  it('the row of a token rotated away put back: the old token stays refused', async () => {
    await createUser('rot', ['read-only']);
    const before = await save("SELECT * FROM rbac_users WHERE name = 'rot'");
    expect((await sa().patch('/rbac/users/rot', { json: { user_token: plantedSecret('token-rot-2') } })).status).toBe(200);
    await restore('rbac_users', before, ['id']);
    expect((await as('rot').get('/consumers')).status).toBe(401);
  });

  it('a removed role link put back grants nothing; the links still current do', async () => {
    await createUser('lnk', ['read-only', 'admin']);
    const adminLink = await save("SELECT ur.* FROM rbac_user_roles ur JOIN rbac_users u ON u.id = ur.user_id JOIN rbac_roles r ON r.id = ur.role_id WHERE u.name = 'lnk' AND r.name = 'admin'");
    expect((await as('lnk').post('/consumers', { json: { username: 'by-lnk' } })).status).toBe(201);
    expect((await sa().delete('/rbac/users/lnk/roles?roles=admin')).status).toBe(204);
    await restore('rbac_user_roles', adminLink, ['user_id', 'role_id']);
    expect((await as('lnk').post('/consumers', { json: { username: 'by-lnk-2' } })).status).toBe(403);
    expect((await as('lnk').get('/consumers')).status).toBe(200);
  });

  it("a role's earlier permission set put back grants nothing", async () => {
    expect((await sa().post('/rbac/roles', { json: { name: 'writers' } })).status).toBe(201);
    expect((await sa().post('/rbac/roles/writers/endpoints', { json: { endpoint: '/consumers', actions: 'read,create' } })).status).toBe(201);
    await createUser('w', ['writers']);
    const role = await save("SELECT * FROM rbac_roles WHERE name = 'writers'");
    const endpoints = await save('SELECT * FROM rbac_role_endpoints WHERE role_id = $1', [role[0]!.id]);
    expect((await as('w').post('/consumers', { json: { username: 'by-w' } })).status).toBe(201);
    expect((await sa().patch('/rbac/roles/writers/endpoints/default/consumers', { json: { actions: 'read' } })).status).toBe(200);
    expect((await as('w').post('/consumers', { json: { username: 'by-w-2' } })).status).toBe(403);
    await restore('rbac_role_endpoints', endpoints, ['role_id', 'workspace', 'endpoint']);
    await restore('rbac_roles', role, ['id']);
    expect((await as('w').post('/consumers', { json: { username: 'by-w-3' } })).status).toBe(403);
    expect((await as('w').get('/consumers')).status).toBe(403);
    // The API refuses to build on a set that does not verify (it would adopt the restored rows).
    expect((await sa().post('/rbac/roles/writers/endpoints', { json: { endpoint: '/services', actions: 'read' } })).json).toEqual({
      message: "the permissions of role 'writers' fail their MAC (changed outside Keygate); delete the role and create it again",
    });
  });

  it('granting does not end any epoch: rows signed earlier keep working', async () => {
    await createUser('steady', ['read-only']);
    await createUser('later', ['read-only']);
    expect((await sa().post('/rbac/users/steady/roles', { json: { roles: 'admin' } })).status).toBe(201);
    expect((await as('steady').post('/consumers', { json: { username: 'by-steady' } })).status).toBe(201);
    expect((await as('later').get('/consumers')).status).toBe(200);
  });

  it('the state row rolled back is refused by a node that saw a later one; put forward again, service resumes', async () => {
    const current = await save('SELECT * FROM rbac_state');
    const saved = await save('SELECT * FROM rbac_state');
    await createUser('to-disable', ['read-only']);
    expect((await sa().patch('/rbac/users/to-disable', { json: { enabled: false } })).status).toBe(200);
    const after = await save('SELECT * FROM rbac_state');
    expect(Number(after[0]!.epoch)).toBeGreaterThan(Number(current[0]!.epoch));
    expect((await sa().get('/consumers')).status).toBe(200);
    await restore('rbac_state', saved, ['id']);
    expect((await sa().get('/consumers')).status).toBe(401);
    await admin.waitForLine((l) => l.includes('the RBAC state went back'));
    await restore('rbac_state', after, ['id']);
    expect((await sa().get('/consumers')).status).toBe(200);
  });

  it('a deleted state row is not made again over signed rows: every request is refused', async () => {
    await attacker.query('DELETE FROM rbac_state');
    await admin.stop();
    admin = await AppProcess.start('admin', { env: env() });
    expect((await sa().get('/consumers')).status).toBe(401);
    await admin.waitForLine((l) => l.includes('the RBAC state row is missing'));
  });
});

describe('a database from before RBAC epochs', () => {
  it("is signed in epoch 1 at the first start: rows in the old format that verify are kept, others are not", async () => {
    // Put kong_admin's rows back in the format of migration 007 (no epoch), as an upgrade finds them.
    const secrets = new AdminSecrets(new Secret(clusterSecret));
    const [user] = await save("SELECT * FROM rbac_users WHERE name = 'kong_admin'");
    await attacker.query('UPDATE rbac_users SET epoch = NULL, mac = $2 WHERE id = $1', [user!.id, secrets.rowMac(['rbac_user', user!.id as string, user!.name as string, user!.user_token as string, user!.user_token_ident as string, true])]);
    for (const link of await save('SELECT * FROM rbac_user_roles WHERE user_id = $1', [user!.id])) {
      await attacker.query('UPDATE rbac_user_roles SET epoch = NULL, mac = $3 WHERE user_id = $1 AND role_id = $2', [link.user_id, link.role_id, secrets.rowMac(['rbac_user_role', link.user_id as string, link.role_id as string])]);
    }
    const [own] = await save("SELECT * FROM rbac_roles WHERE name = 'kong_admin'");
    await attacker.query('UPDATE rbac_roles SET epoch = NULL, permissions_mac = $2, entities_mac = NULL WHERE id = $1', [own!.id, secrets.rowMac(['rbac_role', own!.id as string, 'kong_admin'])]);
    // Every other row is left signed in an epoch: from an old-format database they would not be.
    await attacker.query('UPDATE rbac_users SET epoch = NULL WHERE name <> $1', ['kong_admin']);
    await attacker.query('UPDATE rbac_user_roles SET epoch = NULL WHERE user_id <> $1', [user!.id]);
    await admin.stop();
    admin = await AppProcess.start('admin', { env: env() });
    expect((await sa().get('/rbac/users')).status).toBe(200);
    expect((await database.get().query<{ epoch: string }>('SELECT epoch FROM rbac_state'))).toEqual([{ epoch: '1' }]);
    // Users whose rows were not in the old format are not adopted.
    expect((await as('steady').get('/consumers')).status).toBe(401);
  });
});
