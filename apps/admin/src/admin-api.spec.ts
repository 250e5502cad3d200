import { AppProcess, plantedSecret, useTestDatabase } from '@keygate/testing';

const database = useTestDatabase();
const secrets = { pg: plantedSecret('pg-password'), cluster: plantedSecret('cluster'), redis: plantedSecret('redis') };
let admin: AppProcess;
let base: string;

beforeAll(async () => {
  admin = await AppProcess.start('admin', {
    env: {
      ...database.get().env(),
      // trust auth ignores the password, so the node runs while carrying planted secrets
      KONG_PG_PASSWORD: secrets.pg,
      KONG_KEYRING_CLUSTER_SECRET: secrets.cluster,
      KONG_REDIS_URL: `redis://default:${secrets.redis}@127.0.0.1:6379`,
    },
  });
  base = admin.url('admin');
});

afterAll(async () => {
  await admin?.stop();
});

type Json = Record<string, unknown>;

async function call(method: string, path: string, body?: Json | string, type = 'application/json') {
  const init: RequestInit = { method, headers: {} };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = type;
  }
  const res = await fetch(`${base}${path}`, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: (text ? JSON.parse(text) : undefined) as Json };
}

const form = (method: string, path: string, body: string) => call(method, path, body, 'application/x-www-form-urlencoded');

describe('Admin API', () => {
  it('GET / shows version, node id and configuration without secrets', async () => {
    const res = await call('GET', '/');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ tagline: 'Welcome to Keygate', version: expect.stringMatching(/^\d+\.\d+\.\d+/), node_id: expect.any(String) });
    const configuration = res.json.configuration as Json;
    expect(configuration.pg_password).toBe('[REDACTED]');
    expect(configuration.keyring_cluster_secret).toBe('[REDACTED]');
    expect(configuration.redis_url).toBe('redis://default:REDACTED@127.0.0.1:6379');
    const text = JSON.stringify(res.json);
    for (const secret of Object.values(secrets)) expect(text).not.toContain(secret);
  });

  it("creates a consumer from a form body with Kong's shape; a second create is 409", async () => {
    const created = await form('POST', '/consumers', 'username=alice&custom_id=c-alice&tags[]=vip');
    expect(created.status).toBe(201);
    expect(Object.keys(created.json).sort()).toEqual(['created_at', 'custom_id', 'id', 'tags', 'updated_at', 'username']);
    expect(created.json).toMatchObject({ username: 'alice', custom_id: 'c-alice', tags: ['vip'] });
    const again = await form('POST', '/consumers', 'username=alice');
    expect(again.status).toBe(409);
    expect(again.json).toEqual({
      code: 5,
      name: 'unique constraint violation',
      message: `UNIQUE violation detected on '{username="alice"}'`,
      fields: { username: 'alice' },
    });
    const byName = await call('GET', '/consumers/alice');
    expect(byName.json).toEqual(created.json);
    expect((await call('GET', `/consumers/${String(created.json.id)}`)).json).toEqual(created.json);
  });

  it('answers a bad body with a 400 naming the field', async () => {
    const res = await call('POST', '/consumers', { username: 42, nickname: 'x' });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      code: 2,
      name: 'schema violation',
      message: '2 schema violations (nickname: unknown field; username: expected a string)',
      fields: { nickname: 'unknown field', username: 'expected a string' },
    });
    expect((await call('POST', '/consumers', '{not json')).json).toEqual({ message: 'Cannot parse JSON body' });
    expect((await call('POST', '/consumers', '<xml/>', 'text/xml')).status).toBe(415);
  });

  it("PATCH, PUT and DELETE follow Kong's semantics", async () => {
    const created = await call('POST', '/consumers', { username: 'bob', custom_id: 'b-1' });
    const patched = await call('PATCH', '/consumers/bob', { custom_id: 'b-2' });
    expect(patched.json).toMatchObject({ id: created.json.id, username: 'bob', custom_id: 'b-2' });
    const put = await call('PUT', '/consumers/carol', { custom_id: 'c-9' });
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ username: 'carol', custom_id: 'c-9' });
    expect((await call('DELETE', '/consumers/bob')).status).toBe(204);
    expect((await call('DELETE', '/consumers/bob')).status).toBe(204);
    expect(await call('GET', '/consumers/bob')).toMatchObject({ status: 404, json: { message: 'Not found' } });
    expect((await call('PATCH', '/consumers/bob', { custom_id: 'x' })).status).toBe(404);
  });

  it('paginates with size, offset and a next link', async () => {
    for (let i = 0; i < 3; i++) await call('POST', '/consumers', { username: `page-${i}`, tags: ['paged'] });
    const first = await call('GET', '/consumers?tags=paged&size=2');
    expect((first.json.data as unknown[]).length).toBe(2);
    expect(first.json.next).toBe(`/consumers?offset=${encodeURIComponent(String(first.json.offset))}&size=2&tags=paged`);
    const second = await call('GET', String(first.json.next));
    expect(second.json).toMatchObject({ next: null });
    expect(second.json).not.toHaveProperty('offset');
    expect((second.json.data as unknown[]).length).toBe(1);
    expect((await call('GET', '/consumers?size=abc')).json).toEqual({ code: 9, name: 'invalid size', message: 'size must be a number' });
    expect((await call('GET', '/consumers?offset=x')).json).toEqual({
      code: 7,
      name: 'invalid offset',
      message: "'x' is not a valid offset: bad base64 encoding",
    });
    expect((await call('GET', '/plugins')).json).toEqual({ data: [], next: null });
  });

  it('nests routes under services and plugins under routes, as Kong does', async () => {
    const service = await form('POST', '/services', 'name=echo&url=http://127.0.0.1:9/anything');
    expect(service.json).toMatchObject({ protocol: 'http', host: '127.0.0.1', port: 9, path: '/anything' });
    const route = await form('POST', '/services/echo/routes', 'name=echo-route&paths[]=/echo&methods[]=GET');
    expect(route.status).toBe(201);
    expect(route.json).toMatchObject({ paths: ['/echo'], methods: ['GET'], service: { id: service.json.id } });
    expect((await call('GET', '/services/echo/routes')).json.data).toHaveLength(1);
    expect((await call('GET', '/services/echo/routes/echo-route')).json.id).toBe(route.json.id);
    expect((await call('GET', '/routes/echo-route/service')).json.id).toBe(service.json.id);
    const plugin = await form('POST', '/routes/echo-route/plugins', 'name=key-auth&config.key_names[]=x-api-key&config.hide_credentials=true');
    expect(plugin.status).toBe(201);
    expect(plugin.json).toMatchObject({ name: 'key-auth', route: { id: route.json.id }, config: { key_names: ['x-api-key'], hide_credentials: true } });
    expect((await call('GET', '/plugins')).json.data).toHaveLength(1);
    const inUse = await call('DELETE', '/services/echo');
    expect(inUse).toMatchObject({ status: 400, json: { code: 4, message: "an existing 'routes' entity references this 'services' entity" } });
    expect((await call('DELETE', '/services/echo/routes/nope')).status).toBe(404);
    expect((await call('GET', '/plugins/enabled')).json).toEqual({ enabled_plugins: ['basic-auth', 'key-auth'] });
    expect((await call('GET', '/')).json.plugins).toMatchObject({ enabled_in_cluster: ['key-auth'] });
  });

  it('answers unknown paths with 404 and unsupported methods with 405', async () => {
    expect(await call('GET', '/nowhere')).toMatchObject({ status: 404, json: { message: 'Not found' } });
    expect(await call('DELETE', '/consumers')).toMatchObject({ status: 405, json: { message: 'Method not allowed' } });
  });

  it("GET /status reports the database and the server's connections", async () => {
    const res = await call('GET', '/status');
    expect(res.json).toMatchObject({ database: { reachable: true }, server: { total_requests: expect.any(Number), connections_active: expect.any(Number) } });
  });

  it('serves its node status on status_listen', async () => {
    const status = (await (await fetch(`${admin.url('status')}/status`)).json()) as Json;
    expect(status).toMatchObject({ app: 'admin', ready: true, node_id: expect.any(String), uptime_seconds: expect.any(Number), database: { reachable: true } });
    const ready = await fetch(`${admin.url('status')}/status/ready`);
    expect([ready.status, await ready.json()]).toEqual([200, { message: 'ready' }]);
  });

  it('never writes a planted secret to its log', () => {
    expect(admin.lines.length).toBeGreaterThan(10);
    for (const secret of Object.values(secrets)) expect(admin.output).not.toContain(secret);
  });

  it('stops cleanly on SIGTERM with exit code 0', async () => {
    const result = await admin.stop();
    expect(result).toEqual({ code: 0, signal: null });
    expect(admin.output).toContain('"msg":"admin stopped"');
  });
});
