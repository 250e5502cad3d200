import type pg from 'pg';
import { AppProcess, httpClient, plantedSecret, rsaKeyFiles, runCli, useTestDatabase, type HttpClient } from '@keygate/testing';

/**
 * Entity-level RBAC: one admin node with `enforce_rbac = entity`, one with `both`, over one
 * database. Each role against each kind of endpoint on both; lists filtered and paged; rows a
 * database writer adds grant nothing; revocation on one node applies at once on the other.
 */
const database = useTestDatabase();
const rsa = rsaKeyFiles();
const clusterSecret = plantedSecret('cluster-secret');
const password = plantedSecret('kong-password');
let nodes: Record<'entity' | 'both', AppProcess>;
let attacker: pg.Client;
const tokens: Record<string, string> = {};
const consumers: Record<string, string> = {};

const env = (mode: string) => ({
  ...database.get().env(),
  KONG_ENFORCE_RBAC: mode,
  KONG_AUDIT_LOG: 'on',
  KONG_KEYRING_ENABLED: 'on',
  KONG_KEYRING_RECOVERY_PUBLIC_KEY: rsa.publicPath,
  KONG_KEYRING_CLUSTER_SECRET: clusterSecret,
});
const as = (mode: 'entity' | 'both', user: string): HttpClient => httpClient(nodes[mode].url('admin'), { 'Kong-Admin-Token': user === 'kong_admin' ? password : tokens[user]! });
const sa = () => as('entity', 'kong_admin');

async function createUser(name: string, roles: string[]): Promise<void> {
  tokens[name] = plantedSecret(`token-${name}`);
  expect((await sa().post('/rbac/users', { json: { name, user_token: tokens[name] } })).status).toBe(201);
  if (roles.length > 0) expect((await sa().post(`/rbac/users/${name}/roles`, { json: { roles: roles.join(',') } })).status).toBe(201);
}

async function role(name: string, endpoints: string[], entities: Array<[string, string]>): Promise<void> {
  expect((await sa().post('/rbac/roles', { json: { name } })).status).toBe(201);
  for (const endpoint of endpoints) expect((await sa().post(`/rbac/roles/${name}/endpoints`, { json: { endpoint, actions: 'read' } })).status).toBe(201);
  for (const [id, actions] of entities) {
    expect((await sa().post(`/rbac/roles/${name}/entities`, { json: { entity_id: id, entity_type: 'consumers', actions } })).status).toBe(201);
  }
}

const ids = (res: { json: { data?: Array<{ id: string }> } }) => (res.json.data ?? []).map((c) => c.id).sort();

beforeAll(async () => {
  const seeded = await runCli(['migrations', 'up'], { env: { ...env('both'), KONG_PASSWORD: password } });
  expect(seeded.stdout).toContain("RBAC super admin 'kong_admin' created");
  const [entity, both] = await Promise.all([AppProcess.start('admin', { env: env('entity') }), AppProcess.start('admin', { env: env('both') })]);
  nodes = { entity, both };
  attacker = await database.get().attacker({ tables: 'write' });
  for (const name of ['c1', 'c2', 'c3', 'c4', 'c5', 'c6']) {
    const res = await sa().post<{ id: string }>('/consumers', { json: { username: name } });
    expect(res.status).toBe(201);
    consumers[name] = res.json.id;
  }
  await createUser('ro', ['read-only']);
  await createUser('adm', ['admin']);
  await role('one-consumer', ['/consumers', '/consumers/*', '/consumers/*/key-auth'], [[consumers.c1!, 'read']]);
  await createUser('viewer', ['one-consumer']);
}, 180_000);
afterAll(() => Promise.all([nodes?.entity.stop(), nodes?.both.stop()]));

const endpointDenied = (user: string, action: string) => [403, { message: `${user}, you do not have permissions to ${action} this resource` }];
const entityDenied = (user: string, action: string) => [403, { code: 99, name: 'unauthorized access', message: `${user}, you do not have permissions to ${action} this resource` }];

describe('enforce_rbac = entity and both', () => {
  type Kind = 'list' | 'read own' | 'read other' | 'update' | 'delete' | 'keyring' | 'vaults' | 'rbac' | 'audit';
  const call = async (client: HttpClient, kind: Kind) => {
    switch (kind) {
      case 'list':
        return client.get('/consumers');
      case 'read own':
        return client.get(`/consumers/${consumers.c1}`);
      case 'read other':
        return client.get(`/consumers/${consumers.c2}`);
      case 'update':
        return client.patch(`/consumers/${consumers.c1}`, { json: { custom_id: `x-${Math.random()}` } });
      case 'delete':
        // A consumer nobody else needs: the users' default roles never held it.
        return client.delete(`/consumers/${consumers.c6}`);
      case 'keyring':
        return client.get('/keyring');
      case 'vaults':
        return client.get('/vaults');
      case 'rbac':
        return client.get('/rbac/users');
      case 'audit':
        return client.get('/audit/requests');
    }
  };
  const ok = (status: number) => [status < 400 ? 'allowed' : status, null];
  // [kind, action, expected on `entity`, expected on `both`]; 'ok' = any 2xx.
  type Expect = 'ok' | 'endpoint' | 'entity';
  const matrix: Record<string, Array<[Kind, string, Expect, Expect]>> = {
    ro: [
      ['list', 'read', 'ok', 'ok'],
      ['read own', 'read', 'ok', 'ok'],
      ['read other', 'read', 'ok', 'ok'],
      ['update', 'update', 'entity', 'endpoint'],
      ['keyring', 'read', 'endpoint', 'endpoint'],
      ['vaults', 'read', 'endpoint', 'endpoint'],
      ['rbac', 'read', 'ok', 'ok'],
      ['audit', 'read', 'ok', 'ok'],
    ],
    viewer: [
      ['list', 'read', 'ok', 'ok'],
      ['read own', 'read', 'ok', 'ok'],
      ['read other', 'read', 'entity', 'entity'],
      ['update', 'update', 'entity', 'endpoint'],
      ['delete', 'delete', 'entity', 'endpoint'],
      ['keyring', 'read', 'endpoint', 'endpoint'],
      ['rbac', 'read', 'endpoint', 'endpoint'],
    ],
    adm: [
      ['list', 'read', 'ok', 'ok'],
      ['read other', 'read', 'ok', 'ok'],
      ['update', 'update', 'ok', 'ok'],
      ['keyring', 'read', 'ok', 'ok'],
      ['vaults', 'read', 'ok', 'ok'],
      ['rbac', 'read', 'endpoint', 'endpoint'],
    ],
    kong_admin: [
      ['list', 'read', 'ok', 'ok'],
      ['read other', 'read', 'ok', 'ok'],
      ['update', 'update', 'ok', 'ok'],
      ['keyring', 'read', 'ok', 'ok'],
      ['rbac', 'read', 'ok', 'ok'],
      ['audit', 'read', 'ok', 'ok'],
    ],
  };
  for (const mode of ['entity', 'both'] as const) {
    it.each(Object.keys(matrix))(`${mode}: role of %s against each kind of endpoint`, async (user) => {
      for (const [kind, action, onEntity, onBoth] of matrix[user]!) {
        const expected = mode === 'entity' ? onEntity : onBoth;
        const res = await call(as(mode, user), kind);
        const got = expected === 'ok' ? ok(res.status) : [res.status, res.json];
        const want = expected === 'ok' ? ['allowed', null] : expected === 'endpoint' ? endpointDenied(user, action) : entityDenied(user, action);
        expect({ kind, got }).toEqual({ kind, got: want });
      }
    });
  }

  it('a collection lists only the entities the token may read; nested collections too', async () => {
    for (const mode of ['entity', 'both'] as const) {
      expect(ids(await as(mode, 'viewer').get('/consumers'))).toEqual([consumers.c1]);
      expect(ids(await as(mode, 'ro').get('/consumers'))).toEqual(Object.values(consumers).sort());
    }
    expect((await sa().patch(`/consumers/${consumers.c2}`, { json: { custom_id: 'cid-2' } })).status).toBe(200);
    expect(ids(await as('entity', 'viewer').get('/consumers?custom_id=cid-2'))).toEqual([]);
    expect(ids(await sa().get('/consumers?custom_id=cid-2'))).toEqual([consumers.c2]);
    const key = plantedSecret('c1-key');
    expect((await sa().post(`/consumers/${consumers.c1}/key-auth`, { json: { key } })).status).toBe(201);
    const nested = await as('entity', 'viewer').get(`/consumers/${consumers.c1}/key-auth`);
    expect([nested.status, nested.json.data]).toEqual([200, []]);
    expect(nested.text).not.toContain(key);
    expect((await as('entity', 'viewer').get(`/consumers/${consumers.c2}/key-auth`)).status).toBe(403);
  });

  it('pages are filled from the rows after them, and every readable entity is seen once', async () => {
    const granted = [consumers.c2!, consumers.c4!, consumers.c5!];
    await role('scattered', ['/consumers'], granted.map((id) => [id, 'read'] as [string, string]));
    await createUser('pager', ['scattered']);
    for (const size of [1, 2]) {
      const seen: string[] = [];
      let next: string | null = `/consumers?size=${size}`;
      const lengths: number[] = [];
      for (let i = 0; next && i < 10; i++) {
        const page: { json: { data: Array<{ id: string }>; next: string | null } } = await as('both', 'pager').get(next);
        lengths.push(page.json.data.length);
        seen.push(...page.json.data.map((c) => c.id));
        next = page.json.next;
      }
      expect(next).toBeNull();
      expect(seen.sort()).toEqual([...granted].sort());
      // Only the last page may be short.
      expect(lengths.slice(0, -1).every((n) => n === size)).toBe(true);
    }
  });

  it('an entity a user creates joins their default role; its permissions go when it is deleted', async () => {
    for (const mode of ['entity'] as const) {
      const made = await as(mode, 'viewer').post<{ id: string }>('/consumers', { json: { username: 'made-by-viewer' } });
      expect(made.status).toBe(201);
      expect((await as(mode, 'viewer').patch(`/consumers/${made.json.id}`, { json: { custom_id: 'mine' } })).status).toBe(200);
      expect(ids(await as(mode, 'viewer').get('/consumers'))).toEqual([consumers.c1!, made.json.id].sort());
      const own = await sa().get<{ data: Array<{ entity_id: string; entity_type: string; actions: string[] }> }>('/rbac/roles/viewer/entities');
      expect(own.json.data).toEqual([expect.objectContaining({ entity_id: made.json.id, entity_type: 'consumers', actions: expect.arrayContaining(['read', 'create', 'update', 'delete']) })]);
      expect((await as(mode, 'viewer').delete(`/consumers/${made.json.id}`)).status).toBe(204);
      expect((await sa().get<{ data: unknown[] }>('/rbac/roles/viewer/entities')).json.data).toEqual([]);
      // The same id made again by someone else: the old grant is gone.
      expect((await sa().put(`/consumers/${made.json.id}`, { json: { username: 'made-again' } })).status).toBe(200);
      expect((await as(mode, 'viewer').get(`/consumers/${made.json.id}`)).status).toBe(403);
    }
    // A delete needs delete on what it cascades to (Kong): here a credential someone else made.
    const parent = await as('entity', 'viewer').post<{ id: string }>('/consumers', { json: { username: 'parent-of-key' } });
    const key = await sa().post<{ id: string }>(`/consumers/${parent.json.id}/key-auth`, { json: { key: plantedSecret('child-key') } });
    expect(key.status).toBe(201);
    expect(await as('entity', 'viewer').delete(`/consumers/${parent.json.id}`).then((r) => [r.status, r.json])).toEqual(entityDenied('viewer', 'delete'));
    expect((await sa().get(`/consumers/${parent.json.id}`)).status).toBe(200);
    expect((await sa().post('/rbac/roles/viewer/entities', { json: { entity_id: key.json.id, entity_type: 'keyauth_credentials', actions: 'delete' } })).status).toBe(201);
    expect((await as('entity', 'viewer').delete(`/consumers/${parent.json.id}`)).status).toBe(204);
    // On `both`, creating needs the endpoint permission too.
    expect(await as('both', 'viewer').post('/consumers', { json: { username: 'nope' } }).then((r) => [r.status, r.json])).toEqual(endpointDenied('viewer', 'create'));
  });

  it('a body naming another entity (a foreign key) needs read on it, as the nested path does', async () => {
    const victimKey = plantedSecret('planted-for-c2');
    // Flat paths with the consumer in the body, by id or by username: what `/consumers/{c2}/key-auth` refuses.
    for (const consumer of [{ id: consumers.c2 }, { username: 'c2' }]) {
      expect(await as('entity', 'viewer').post('/key-auths', { json: { consumer, key: victimKey } }).then((r) => [r.status, r.json])).toEqual(entityDenied('viewer', 'read'));
    }
    const own = await as('entity', 'viewer').post<{ id: string }>('/consumers', { json: { username: 'owner-of-key' } });
    const mine = await as('entity', 'viewer').post<{ id: string }>(`/consumers/${own.json.id}/key-auth`, { json: { key: plantedSecret('own-key') } });
    expect(mine.status).toBe(201);
    // Moving one's own credential onto a consumer one cannot read, by PATCH or PUT.
    expect(await as('entity', 'viewer').patch(`/key-auths/${mine.json.id}`, { json: { consumer: { id: consumers.c2 } } }).then((r) => [r.status, r.json])).toEqual(entityDenied('viewer', 'read'));
    expect(await as('entity', 'viewer').put(`/key-auths/${mine.json.id}`, { json: { consumer: { id: consumers.c2 }, key: victimKey } }).then((r) => [r.status, r.json])).toEqual(entityDenied('viewer', 'read'));
    const victims = await sa().get<{ data: Array<{ key: string }> }>(`/consumers/${consumers.c2}/key-auth`);
    expect(victims.json.data.map((k) => k.key)).not.toContain(victimKey);
    // A consumer the token may read is fine, as on the nested path.
    const flat = await as('entity', 'viewer').post<{ id: string }>('/key-auths', { json: { consumer: { id: consumers.c1 }, key: plantedSecret('c1-flat-key') } });
    expect(flat.status).toBe(201);
    // Leave the viewer's default role as it was (its entities' permissions go with them).
    expect((await as('entity', 'viewer').delete(`/key-auths/${flat.json.id}`)).status).toBe(204);
    expect((await as('entity', 'viewer').delete(`/consumers/${own.json.id}`)).status).toBe(204);
  });

  it("entity permissions follow Kong's API and errors", async () => {
    const base = '/rbac/roles/one-consumer/entities';
    expect((await sa().get(`${base}/${consumers.c1}`)).json).toMatchObject({ entity_id: consumers.c1, entity_type: 'consumers', actions: ['read'], negative: false, role: { id: expect.any(String) } });
    expect(await sa().post(base, { json: { actions: 'read' } }).then((r) => [r.status, r.json])).toEqual([400, { message: "Missing required parameter: 'entity_id'" }]);
    expect(await sa().post(base, { json: { entity_id: 'abc', entity_type: 'consumers' } }).then((r) => [r.status, r.json])).toEqual([400, { message: 'abc is not a valid uuid' }]);
    expect(await sa().post(base, { json: { entity_id: consumers.c2 } }).then((r) => [r.status, r.json])).toEqual([400, { message: "Missing required parameter: 'entity_type'" }]);
    expect(await sa().post(base, { json: { entity_id: consumers.c2, entity_type: 'services' } }).then((r) => [r.status, r.json])).toEqual([
      400,
      { message: "There is no entity of type 'services' with given entity_id" },
    ]);
    expect((await sa().post('/rbac/roles/read-only/entities', { json: { entity_id: '*', actions: 'read' } })).status).toBe(400);
    const wildcard = await sa().post('/rbac/roles/one-consumer/entities', { json: { entity_id: '*', actions: 'read', negative: true } });
    expect(wildcard.json).toMatchObject({ entity_id: '*', entity_type: 'wildcard', negative: true });
    // The id's own permission decides before `*`.
    expect((await as('entity', 'viewer').get(`/consumers/${consumers.c1}`)).status).toBe(200);
    expect((await as('entity', 'viewer').get(`/consumers/${consumers.c3}`)).status).toBe(403);
    expect((await sa().delete('/rbac/roles/one-consumer/entities/*')).status).toBe(204);
    const perms = await sa().get<{ entities: Record<string, { actions: string[] }> }>('/rbac/users/viewer/permissions');
    expect(perms.json.entities).toEqual({ [consumers.c1!]: { entity_type: 'consumers', actions: ['read'], negative: false } });
  });
});

describe('a database writer cannot grant itself entity access', () => {
  it('an entity permission row it inserts makes the role grant nothing; removing it restores the role', async () => {
    const roleId = (await sa().get<{ id: string }>('/rbac/roles/one-consumer')).json.id;
    await attacker.query("INSERT INTO rbac_role_entities (role_id, entity_id, entity_type, actions) VALUES ($1, '*', 'wildcard', 15)", [roleId]);
    expect((await as('entity', 'viewer').get(`/consumers/${consumers.c2}`)).status).toBe(403);
    expect((await as('entity', 'viewer').get(`/consumers/${consumers.c1}`)).status).toBe(403);
    expect(ids(await as('entity', 'viewer').get('/consumers'))).toEqual([]);
    await nodes.entity.waitForLine((l) => l.includes("RBAC role's permissions fail their MAC") && l.includes(roleId));
    await attacker.query("DELETE FROM rbac_role_entities WHERE role_id = $1 AND entity_id = '*'", [roleId]);
    expect((await as('entity', 'viewer').get(`/consumers/${consumers.c1}`)).status).toBe(200);
  });

  it("a row added to a built-in role, or a MAC copied from another role, grants nothing", async () => {
    await attacker.query("INSERT INTO rbac_role_entities (role_id, entity_id, entity_type, actions) SELECT id, '*', 'wildcard', 15 FROM rbac_roles WHERE name = 'read-only'");
    expect((await as('entity', 'ro').patch(`/consumers/${consumers.c1}`, { json: { custom_id: 'by-ro' } })).status).toBe(403);
    expect((await as('entity', 'ro').get(`/consumers/${consumers.c1}`)).status).toBe(403);
    await attacker.query("DELETE FROM rbac_role_entities WHERE role_id = (SELECT id FROM rbac_roles WHERE name = 'read-only')");
    const pagerRole = (await sa().get<{ id: string }>('/rbac/roles/scattered')).json.id;
    await attacker.query("INSERT INTO rbac_role_entities (role_id, entity_id, entity_type, actions) VALUES ($1, $2, 'consumers', 15)", [pagerRole, consumers.c3]);
    await attacker.query("UPDATE rbac_roles SET entities_mac = (SELECT entities_mac FROM rbac_roles WHERE name = 'one-consumer') WHERE id = $1", [pagerRole]);
    expect((await as('entity', 'pager').get(`/consumers/${consumers.c3}`)).status).toBe(403);
  });
});

describe('revocation', () => {
  it('a removed entity permission or a disabled user applies at once on the other node', async () => {
    await role('temp-role', ['/consumers/*'], [[consumers.c4!, 'read']]);
    await createUser('temp', ['temp-role']);
    expect((await as('both', 'temp').get(`/consumers/${consumers.c4}`)).status).toBe(200);
    expect((await as('entity', 'kong_admin').delete(`/rbac/roles/temp-role/entities/${consumers.c4}`)).status).toBe(204);
    expect((await as('both', 'temp').get(`/consumers/${consumers.c4}`)).status).toBe(403);
    expect((await sa().post('/rbac/roles/temp-role/entities', { json: { entity_id: consumers.c4, entity_type: 'consumers', actions: 'read' } })).status).toBe(201);
    expect((await as('both', 'temp').get(`/consumers/${consumers.c4}`)).status).toBe(200);
    expect((await sa().patch('/rbac/users/temp', { json: { enabled: false } })).status).toBe(200);
    expect((await as('both', 'temp').get(`/consumers/${consumers.c4}`)).status).toBe(401);
  });
});

describe('roles', () => {
  it('PUT /rbac/roles/{r} creates (201) or replaces the comment (200); it never renames', async () => {
    expect(await sa().put('/rbac/roles/put-role', { json: { comment: 'one' } }).then((r) => [r.status, r.json.comment])).toEqual([201, 'one']);
    expect(await sa().put('/rbac/roles/put-role', { json: { comment: 'two' } }).then((r) => [r.status, r.json.comment])).toEqual([200, 'two']);
    expect((await sa().put('/rbac/roles/put-role', { json: { name: 'other' } })).status).toBe(400);
    expect((await sa().get('/rbac/roles/put-role')).json).toMatchObject({ name: 'put-role', comment: 'two', is_default: false });
  });

  it("a new user gets a default role with its name (hidden from lists), gone with the user", async () => {
    await createUser('dr', []);
    expect((await sa().get('/rbac/roles/dr')).json).toMatchObject({ name: 'dr', is_default: true, comment: 'Default user role generated for dr' });
    expect((await sa().get<{ data: Array<{ name: string }> }>('/rbac/roles')).json.data.map((r) => r.name)).not.toContain('dr');
    expect((await sa().get('/rbac/users/dr/roles')).json).toMatchObject({ roles: [] });
    expect((await sa().get<{ data: unknown[] }>('/rbac/roles/kong_admin/entities')).json.data.length).toBeGreaterThanOrEqual(5);
    expect((await sa().delete('/rbac/users/dr')).status).toBe(204);
    expect((await sa().get('/rbac/roles/dr')).status).toBe(404);
  });

  it('answered no request with 500', () => {
    expect(nodes.entity.output + nodes.both.output).not.toContain('"status":500');
  });
});

describe('bounded work per request', () => {
  it('a token that may read one of many rows gets short pages with `next`, never a scan of the whole table', async () => {
    // Rows after every other consumer (ids sort last); the one the token may read is the very last.
    await database.get().query(
      `INSERT INTO consumers (id, created_at, updated_at, username)
       SELECT ('ffffffff-ffff-4fff-8fff-' || lpad(to_hex(i), 12, '0'))::uuid, now(), now(), 'bulk-' || i FROM generate_series(1, 10500) AS i`,
    );
    const last = 'ffffffff-ffff-4fff-8fff-' + (10500).toString(16).padStart(12, '0');
    await role('last-only', ['/consumers'], [[last, 'read']]);
    await createUser('needle', ['last-only']);
    const first = await as('entity', 'needle').get<{ data: Array<{ id: string }>; next: string | null }>('/consumers?size=1');
    expect(first.status).toBe(200);
    expect(first.json.data).toEqual([]);
    expect(first.json.next).toEqual(expect.any(String));
    // Following `next` still reaches it.
    let next: string | null = first.json.next;
    const seen: string[] = [];
    for (let i = 0; next && i < 20; i++) {
      const page: { json: { data: Array<{ id: string }>; next: string | null } } = await as('entity', 'needle').get(next);
      seen.push(...page.json.data.map((c) => c.id));
      next = page.json.next;
    }
    expect(seen).toEqual([last]);
  }, 120_000);
});
