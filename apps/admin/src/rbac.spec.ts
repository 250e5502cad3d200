import { AppProcess, httpClient, plantedSecret, rsaKeyFiles, runCli, useTestDatabase, type HttpClient } from '@keygate/testing';

const database = useTestDatabase();
const rsa = rsaKeyFiles();
const clusterSecret = plantedSecret('cluster-secret');
const password = plantedSecret('kong-password');
let nodeA: AppProcess;
let nodeB: AppProcess;
const tokens: Record<string, string> = {};

const env = () => ({
  ...database.get().env(),
  KONG_ENFORCE_RBAC: 'on',
  KONG_AUDIT_LOG: 'on',
  KONG_KEYRING_ENABLED: 'on',
  KONG_KEYRING_RECOVERY_PUBLIC_KEY: rsa.publicPath,
  KONG_KEYRING_CLUSTER_SECRET: clusterSecret,
});
const as = (node: AppProcess, token?: string): HttpClient => httpClient(node.url('admin'), token === undefined ? {} : { 'Kong-Admin-Token': token });
const superAdmin = () => as(nodeA, password);

async function createUser(name: string, roles: string[]): Promise<string> {
  const token = plantedSecret(`token-${name}`);
  expect((await superAdmin().post('/rbac/users', { json: { name, user_token: token } })).status).toBe(201);
  if (roles.length > 0) expect((await superAdmin().post(`/rbac/users/${name}/roles`, { form: { roles: roles.join(',') } })).status).toBe(201);
  tokens[name] = token;
  return token;
}

beforeAll(async () => {
  const seeded = await runCli(['migrations', 'up'], { env: { ...env(), KONG_PASSWORD: password } });
  expect(seeded.stdout).toContain("RBAC super admin 'kong_admin' created");
  [nodeA, nodeB] = await Promise.all([AppProcess.start('admin', { env: env() }), AppProcess.start('admin', { env: env() })]);
  await createUser('ro', ['read-only']);
  await createUser('adm', ['admin']);
  await createUser('ci', []);
  await superAdmin().post('/rbac/roles', { json: { name: 'consumer-reader' } });
  for (const endpoint of ['/consumers', '/consumers/*']) {
    expect((await superAdmin().post('/rbac/roles/consumer-reader/endpoints', { json: { endpoint, actions: 'read' } })).status).toBe(201);
  }
  await superAdmin().post('/rbac/users/ci/roles', { json: { roles: 'consumer-reader' } });
}, 120_000);
afterAll(() => Promise.all([nodeA?.stop(), nodeB?.stop()]));

describe('Kong-Admin-Token', () => {
  it("answers Kong's 401 without a token, with an unknown one, or a whitespace-only one", async () => {
    for (const token of [undefined, 'nope', '   ']) {
      expect(await as(nodeA, token).get('/consumers')).toMatchObject({ status: 401, json: { message: 'Invalid RBAC credentials' } });
    }
    expect((await superAdmin().get('/')).status).toBe(200);
  });

  // One request per kind of endpoint: entities, keyring, vaults, RBAC, audit; read and write.
  const endpoints: Array<[string, 'get' | 'post', string, Record<string, unknown> | undefined]> = [
    ['read entities', 'get', '/consumers', undefined],
    ['write entities', 'post', '/consumers', { username: `u-${Date.now()}` }],
    ['read the keyring', 'get', '/keyring', undefined],
    ['write the keyring', 'post', '/keyring/generate', undefined],
    ['read vaults', 'get', '/vaults', undefined],
    ['read RBAC', 'get', '/rbac/users', undefined],
    ['write RBAC', 'post', '/rbac/roles', { name: 'x' }],
    ['read the audit log', 'get', '/audit/requests', undefined],
  ];
  const expected: Record<string, boolean[]> = {
    // read entities, write entities, read keyring, write keyring, read vaults, read RBAC, write RBAC, read audit
    ro: [true, false, false, false, false, true, false, true],
    adm: [true, true, true, true, true, false, false, true],
    kong_admin: [true, true, true, true, true, true, true, true],
    ci: [true, false, false, false, false, false, false, false],
  };
  it.each(Object.keys(expected))('role of %s against each kind of endpoint', async (user) => {
    const client = as(nodeB, user === 'kong_admin' ? password : tokens[user]);
    for (const [i, [kind, method, path, body]] of endpoints.entries()) {
      const payload = body && 'name' in body ? { name: `${body.name}-${user}` } : body && 'username' in body ? { username: `${body.username}-${user}` } : body;
      const res = method === 'get' ? await client.get(path) : await client.post(path, payload ? { json: payload } : undefined);
      const action = method === 'get' ? 'read' : 'create';
      if (expected[user]?.[i]) expect({ kind, status: res.status }).toEqual({ kind, status: res.status < 400 ? res.status : 'allowed' });
      else expect({ kind, res: [res.status, res.json] }).toEqual({ kind, res: [403, { message: `${user}, you do not have permissions to ${action} this resource` }] });
    }
  });

  it('a revoked token stops working at once on every node', async () => {
    const token = await createUser('short-lived', ['read-only']);
    expect((await as(nodeB, token).get('/consumers')).status).toBe(200);
    expect((await superAdmin().patch('/rbac/users/short-lived', { json: { enabled: false } })).status).toBe(200);
    expect((await as(nodeB, token).get('/consumers')).status).toBe(401);
    expect((await superAdmin().patch('/rbac/users/short-lived', { json: { enabled: true } })).status).toBe(200);
    expect((await as(nodeB, token).get('/consumers')).status).toBe(200);
    expect((await superAdmin().delete('/rbac/users/short-lived')).status).toBe(204);
    expect((await as(nodeB, token).get('/consumers')).status).toBe(401);
    const newToken = await createUser('rotated', ['read-only']);
    expect((await as(nodeB, newToken).get('/consumers')).status).toBe(200);
    expect((await superAdmin().patch('/rbac/users/rotated', { json: { user_token: plantedSecret('token-rotated-2') } })).status).toBe(200);
    expect((await as(nodeB, newToken).get('/consumers')).status).toBe(401);
  });

  it('never returns a token or its hash', async () => {
    const users = await superAdmin().get<{ data: Array<Record<string, unknown>> }>('/rbac/users');
    expect(users.json.data.map((u) => u.name)).toEqual(expect.arrayContaining(['kong_admin', 'ro', 'adm', 'ci']));
    expect(users.text).not.toMatch(/user_token|scrypt/);
    expect((await superAdmin().get('/rbac/users/ro/roles')).json).toMatchObject({ user: { name: 'ro' }, roles: [{ name: 'read-only' }] });
  });
});

describe('a database writer cannot grant itself access', () => {
  it('a user-role row it inserts grants nothing', async () => {
    await database.get().query("INSERT INTO rbac_user_roles (user_id, role_id, mac) SELECT u.id, r.id, ur.mac FROM rbac_users u, rbac_roles r, rbac_user_roles ur WHERE u.name = 'ro' AND r.name = 'super-admin' AND ur.user_id = u.id AND ur.role_id = (SELECT id FROM rbac_roles WHERE name = 'read-only')");
    expect((await as(nodeA, tokens.ro).post('/consumers', { json: { username: 'by-ro' } })).status).toBe(403);
  });

  it('an endpoint permission it adds or edits makes the role grant nothing', async () => {
    await database.get().query("INSERT INTO rbac_role_endpoints (role_id, workspace, endpoint, actions) SELECT id, 'default', '*', 15 FROM rbac_roles WHERE name = 'consumer-reader'");
    expect((await as(nodeA, tokens.ci).post('/consumers', { json: { username: 'by-ci' } })).status).toBe(403);
    expect((await as(nodeA, tokens.ci).get('/consumers')).status).toBe(403);
  });

  it('a token hash it writes does not authenticate, nor does a copied token identifier', async () => {
    await database.get().query("UPDATE rbac_users SET user_token = (SELECT user_token FROM rbac_users WHERE name = 'ro') WHERE name = 'adm'");
    expect((await as(nodeA, tokens.ro).get('/consumers')).status).toBe(200);
    expect((await as(nodeA, tokens.adm).get('/consumers')).status).toBe(401);
  });
});
