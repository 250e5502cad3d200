import { plantedSecret, useTestDatabase } from '@keygate/testing';
import { call, Cluster, echoServer, eventually } from '../test/harness';

const database = useTestDatabase();
let cluster: Cluster;
let echo: Awaited<ReturnType<typeof echoServer>>;
const aliceKey = plantedSecret('alice-key');
const bobPassword = plantedSecret('bob-password');
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const ids: Record<string, string> = {};

beforeAll(async () => {
  echo = await echoServer();
  cluster = await Cluster.start(database.get().env(), { proxies: 2 });
  const { api } = cluster;
  await api.post('/services', { form: { name: 'echo', url: echo.url } });
  for (const name of ['keyed', 'basic', 'both', 'open']) await api.post('/services/echo/routes', { json: { name, paths: [`/${name}`] } });
  ids.alice = (await api.post<{ id: string }>('/consumers', { form: { username: 'alice', custom_id: 'A-1' } })).json.id;
  ids.bob = (await api.post<{ id: string }>('/consumers', { form: { username: 'bob' } })).json.id;
  ids.anonymous = (await api.post<{ id: string }>('/consumers', { form: { username: 'anonymous' } })).json.id;
  ids.aliceKey = (await api.post<{ id: string }>('/consumers/alice/key-auth', { form: { key: aliceKey } })).json.id;
  ids.bobBasic = (await api.post<{ id: string }>('/consumers/bob/basic-auth', { form: { username: 'bob', password: bobPassword } })).json.id;
  await api.post('/routes/keyed/plugins', { form: { name: 'key-auth' } });
  await api.post('/routes/basic/plugins', { form: { name: 'basic-auth' } });
});
afterAll(async () => {
  await cluster?.stop();
  await echo?.close();
});

describe('key-auth through the proxy', () => {
  it("401 with Kong's body and WWW-Authenticate without a key; 200 with consumer headers upstream with the right key", async () => {
    const none = await cluster.until('/keyed', 401);
    expect(none.json).toEqual({ message: 'No API key found in request', request_id: none.headers.get('x-kong-request-id') });
    expect(none.headers.get('www-authenticate')).toBe('Key');
    const ok = await cluster.until('/keyed', 200, { headers: { apikey: aliceKey, 'x-consumer-username': 'forged', 'x-anonymous-consumer': 'true' } });
    expect(ok.json.headers).toMatchObject({ 'x-consumer-id': ids.alice, 'x-consumer-username': 'alice', 'x-consumer-custom-id': 'A-1', 'x-credential-identifier': ids.aliceKey, apikey: aliceKey });
    expect(ok.json.headers!['x-anonymous-consumer']).toBeUndefined();
    expect((await call(cluster.proxy, `/keyed?apikey=${encodeURIComponent(aliceKey)}`)).status).toBe(200);
    const wrong = await call(cluster.proxy, '/keyed', { headers: { apikey: 'not-a-key' } });
    expect(wrong.status).toBe(401);
    expect(wrong.json.message).toBe('Unauthorized');
    expect((await call(cluster.proxy, '/keyed', { headers: { apikey: [aliceKey, aliceKey] } })).json.message).toBe('Duplicate API key found');
  });

  it('hides the key from the upstream request, and reads it from the body when configured', async () => {
    const plugin = (await cluster.api.get<{ data: Array<{ id: string }> }>('/routes/keyed/plugins')).json.data[0]!;
    await cluster.api.patch(`/plugins/${plugin.id}`, { json: { config: { hide_credentials: true } } });
    const hidden = await eventually(
      () => call(cluster.proxy, `/keyed?apikey=${encodeURIComponent(aliceKey)}&keep=1`),
      (r) => r.status === 200 && r.json.url === '/?keep=1',
    );
    expect(hidden.json.headers!.apikey).toBeUndefined();
    await cluster.api.patch(`/plugins/${plugin.id}`, { json: { config: { key_in_body: true } } });
    const form = { method: 'POST', body: `a=1&apikey=${encodeURIComponent(aliceKey)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } };
    const body = await eventually(() => call(cluster.proxy, '/keyed', form), (r) => r.status === 200 && r.json.body === 'a=1');
    expect(body.json.headers!['content-length']).toBe('3');
    const json = await call(cluster.proxy, '/keyed', { method: 'POST', body: JSON.stringify({ apikey: aliceKey, x: 1 }), headers: { 'content-type': 'application/json' } });
    expect(JSON.parse(json.json.body!)).toEqual({ x: 1 });
    // As Kong: with key_in_body, a request whose body cannot be read (no Content-Type) is a 400, whatever else it carries.
    const noType = await call(cluster.proxy, '/keyed', { headers: { accept: 'application/json', apikey: aliceKey } });
    expect(noType.status).toBe(400);
    expect(noType.json.message).toBe('Cannot process request body');
    await cluster.api.patch(`/plugins/${plugin.id}`, { json: { config: { hide_credentials: false, key_in_body: false } } });
    await eventually(() => call(cluster.proxy, '/keyed', { headers: { apikey: aliceKey } }), (r) => r.status === 200 && r.json.headers?.apikey === aliceKey);
  });

  it('sends a non-ASCII username upstream as its UTF-8 bytes (as nginx)', async () => {
    await cluster.api.post('/consumers', { json: { username: 'zoë 用户' } });
    await cluster.api.post(`/consumers/${encodeURIComponent('zoë 用户')}/key-auth`, { json: { key: 'zoe-key' } });
    const res = await cluster.until('/keyed', 200, { headers: { apikey: 'zoe-key' } });
    expect(Buffer.from(res.json.headers!['x-consumer-username'] as string, 'latin1').toString('utf8')).toBe('zoë 用户');
  });

  it('refuses a key once its ttl has passed', async () => {
    const short = plantedSecret('short-key');
    await cluster.api.post('/consumers/alice/key-auth', { json: { key: short, ttl: 1 } });
    await eventually(() => call(cluster.proxy, '/keyed', { headers: { apikey: short } }), (r) => r.status === 401 && r.json.message === 'Unauthorized');
  });
});

describe('basic-auth through the proxy', () => {
  it('authenticates with the right password; every failure is 401 Unauthorized with Basic realm="service"', async () => {
    const ok = await cluster.until('/basic', 200, { headers: { authorization: basic('bob', bobPassword) } });
    expect(ok.json.headers).toMatchObject({ 'x-consumer-id': ids.bob, 'x-consumer-username': 'bob', 'x-credential-identifier': 'bob' });
    const attempts: Array<Record<string, string>> = [{}, { authorization: basic('bob', 'wrong') }, { authorization: basic('nobody', bobPassword) }, { authorization: 'Basic %%%' }];
    for (const headers of attempts) {
      const res = await call(cluster.proxy, '/basic', { headers });
      expect(res.status).toBe(401);
      expect(res.json.message).toBe('Unauthorized');
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="service"');
    }
    const proxied = await call(cluster.proxy, '/basic', { headers: { 'proxy-authorization': basic('bob', bobPassword) } });
    expect(proxied.status).toBe(200);
  });
});

describe('plugin scopes and anonymous', () => {
  it('a route plugin overrides the global one of the same name; anonymous lets others through as that consumer', async () => {
    const global = (await cluster.api.post<{ id: string }>('/plugins', { json: { name: 'key-auth', config: { key_names: ['x-global-key'] } } })).json;
    await cluster.until('/open', 401);
    expect((await call(cluster.proxy, '/open', { headers: { 'x-global-key': aliceKey } })).status).toBe(200);
    // the route's own key-auth (key_names apikey) wins on /keyed
    expect((await call(cluster.proxy, '/keyed', { headers: { 'x-global-key': aliceKey } })).status).toBe(401);
    expect((await call(cluster.proxy, '/keyed', { headers: { apikey: aliceKey } })).status).toBe(200);

    await cluster.api.patch(`/plugins/${global.id}`, { json: { config: { anonymous: 'anonymous' } } });
    const anon = await cluster.until('/open', 200);
    expect(anon.json.headers).toMatchObject({ 'x-consumer-id': ids.anonymous, 'x-consumer-username': 'anonymous', 'x-anonymous-consumer': 'true' });
    await cluster.api.patch(`/plugins/${global.id}`, { json: { config: { anonymous: '00000000-0000-4000-8000-000000000000' } } });
    const missing = await cluster.until('/open', 500, { headers: { accept: 'application/json' } });
    expect(missing.json.message).toBe("anonymous consumer 00000000-0000-4000-8000-000000000000 is configured but doesn't exist");
    await cluster.api.delete(`/plugins/${global.id}`);
    await cluster.until('/open', 200);
  });

  it('key-auth OR basic-auth with anonymous on both: either credential works, none gives the anonymous consumer', async () => {
    await cluster.api.post('/routes/both/plugins', { json: { name: 'key-auth', config: { anonymous: ids.anonymous } } });
    await cluster.api.post('/routes/both/plugins', { json: { name: 'basic-auth', config: { anonymous: 'anonymous' } } });
    // The two plugins reach the proxy as two changes: wait for the second before judging.
    await eventually(() => call(cluster.proxy, '/both', { headers: { authorization: basic('bob', bobPassword) } }), (r) => r.json.headers?.['x-consumer-username'] === 'bob');
    expect((await call(cluster.proxy, '/both')).json.headers).toMatchObject({ 'x-anonymous-consumer': 'true' });
    expect((await call(cluster.proxy, '/both', { headers: { apikey: aliceKey } })).json.headers!['x-consumer-username']).toBe('alice');
  });

  it('rejects a consumer-scoped auth plugin in the Admin API (schema)', async () => {
    const res = await cluster.api.post('/consumers/alice/plugins', { json: { name: 'key-auth' } });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ fields: { consumer: 'value must be null' } });
    expect((await cluster.api.post('/plugins', { json: { name: 'key-auth', config: { key_names: [] } } })).status).toBe(400);
  });
});

describe('changes reach every proxy node', () => {
  it('a revoked key is refused by every proxy node within a second', async () => {
    const bases = cluster.proxies.map((p) => p.url('proxy'));
    for (const base of bases) await eventually(() => call(base, '/keyed', { headers: { apikey: aliceKey } }), (r) => r.status === 200);
    expect((await cluster.api.delete(`/consumers/alice/key-auth/${ids.aliceKey}`)).status).toBe(204);
    await Promise.all(bases.map((base) => eventually(() => call(base, '/keyed', { headers: { apikey: aliceKey } }), (r) => r.status === 401, 1000)));
  });

  it("deleting a consumer removes its credentials (the database's cascade, applied in memory)", async () => {
    const bases = cluster.proxies.map((p) => p.url('proxy'));
    for (const base of bases) await eventually(() => call(base, '/basic', { headers: { authorization: basic('bob', bobPassword) } }), (r) => r.status === 200);
    expect((await cluster.api.delete('/consumers/bob')).status).toBe(204);
    await Promise.all(bases.map((base) => eventually(() => call(base, '/basic', { headers: { authorization: basic('bob', bobPassword) } }), (r) => r.status === 401, 1000)));
  });

  it('logs no key and no password', () => {
    for (const node of [cluster.admin, ...cluster.proxies]) {
      expect(node.output).not.toContain(aliceKey);
      expect(node.output).not.toContain(bobPassword);
    }
  });
});
