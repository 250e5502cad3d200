import { useTestDatabase } from '@keygate/testing';
import { call, Cluster, echoServer, rawServer } from '../test/harness';

const database = useTestDatabase();
let cluster: Cluster;
let echo: Awaited<ReturnType<typeof echoServer>>;

beforeAll(async () => {
  echo = await echoServer();
  cluster = await Cluster.start(database.get().env());
});
afterAll(async () => {
  await cluster?.stop();
  await echo?.close();
});

const form = (fields: Record<string, string>) => ({ form: fields });

describe('proxy routing (Kong semantics)', () => {
  it("answers an unmatched request with Kong's 404 body, request id and headers", async () => {
    const res = await call(cluster.proxy, '/nothing-here');
    expect(res.status).toBe(404);
    const id = res.headers.get('x-kong-request-id')!;
    expect(res.text).toBe(`{\n  "message":"no Route matched with those values",\n  "request_id":"${id}"\n}`);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('server')).toMatch(/^keygate\//);
    expect(res.headers.get('x-kong-response-latency')).toMatch(/^\d+$/);
    const text = await call(cluster.proxy, '/nothing-here', { headers: { accept: 'text/plain' } });
    expect(text.text).toBe(`no Route matched with those values\nrequest_id: ${text.headers.get('x-kong-request-id')}\n`);
  });

  it('proxies a prefix route with strip_path to the service url, with the proxy headers', async () => {
    await cluster.api.post('/services', form({ name: 'echo', url: `${echo.url}/base` }));
    expect((await cluster.api.post('/services/echo/routes', form({ name: 'echo', 'paths[]': '/echo' }))).status).toBe(201);
    const res = await cluster.until('/echo/a/b?x=1&y=%2F', 200, { headers: { 'x-forwarded-for': '10.0.0.1', 'x-forwarded-proto': 'https', connection: 'x-secret-hop', 'x-secret-hop': 'no' } });
    expect(res.json.url).toBe('/base/a/b?x=1&y=%2F');
    expect(res.json.headers).toMatchObject({
      host: `127.0.0.1:${echo.port}`,
      'x-forwarded-for': '10.0.0.1, 127.0.0.1',
      'x-forwarded-proto': 'http', // not from a trusted IP: replaced
      'x-forwarded-host': '127.0.0.1',
      'x-forwarded-path': '/echo/a/b',
      'x-forwarded-prefix': '/echo',
      'x-real-ip': '127.0.0.1',
      via: expect.stringMatching(/^1\.1 keygate\//),
      'x-kong-request-id': res.headers.get('x-kong-request-id'),
    });
    expect(res.json.headers!['x-secret-hop']).toBeUndefined();
    expect(res.json.headers!['x-forwarded-port']).toBe(new URL(cluster.proxy).port);
    expect(res.headers.get('x-upstream')).toBe('echo');
    expect(res.headers.get('x-hop')).toBeNull(); // listed in the upstream's Connection header
    expect(res.headers.get('via')).toMatch(/keygate/);
    expect(res.headers.get('x-kong-upstream-latency')).toMatch(/^\d+$/);
    expect(res.headers.get('x-kong-proxy-latency')).toMatch(/^\d+$/);
    // dot segments are resolved before routing and forwarding
    expect((await call(cluster.proxy, '/other/../echo/c')).json.url).toBe('/base/c');
  });

  it('honours hosts (with wildcards), methods, headers, preserve_host, strip_path=false and priorities', async () => {
    const svc = (await cluster.api.post('/services', form({ name: 'echo2', url: echo.url }))).json as { id: string };
    const route = (name: string, body: Record<string, unknown>) => cluster.api.post('/routes', { json: { name, service: { id: svc.id }, ...body } });
    expect((await route('wild', { hosts: ['*.example.test'], paths: ['/h'], strip_path: false, preserve_host: true })).status).toBe(201);
    expect((await route('plain', { hosts: ['api.example.test'], paths: ['/h'] })).status).toBe(201);
    expect((await route('posts', { methods: ['POST'], paths: ['/m'] })).status).toBe(201);
    expect((await route('beta', { headers: { 'x-beta': ['yes'] }, paths: ['/m'] })).status).toBe(201);
    expect((await route('regex', { paths: ['~/items/(?<id>\\d+)$'], regex_priority: 5 })).status).toBe(201);
    expect((await route('prefix', { paths: ['/items/1'] })).status).toBe(201);

    const wild = await cluster.until('/h/x', 200, { headers: { host: 'a.example.test' } });
    expect(wild.json.url).toBe('/h/x');
    expect(wild.json.headers!.host).toBe('a.example.test');
    const plain = await call(cluster.proxy, '/h/x', { headers: { host: 'api.example.test' } });
    expect(plain.json.url).toBe('/x');
    expect(plain.json.headers!.host).toBe(`127.0.0.1:${echo.port}`);
    expect((await call(cluster.proxy, '/h/x', { headers: { host: 'other.test' } })).status).toBe(404);

    await cluster.until('/m', 200, { method: 'POST', body: 'hi' });
    expect((await call(cluster.proxy, '/m', { method: 'GET' })).status).toBe(404);
    expect((await call(cluster.proxy, '/m', { headers: { 'x-beta': 'YES' } })).status).toBe(200);

    const regex = await cluster.until('/items/1', 200);
    expect(regex.json.url).toBe('/'); // the regex route wins over the longer prefix, and strips what it matched
    expect((await call(cluster.proxy, '/items/1/more')).json.url).toBe('/more'); // the regex is anchored with $: the prefix route
  });

  it('forwards request bodies, buffered and streamed', async () => {
    const small = await call(cluster.proxy, '/echo/post', { method: 'POST', body: 'hello body', headers: { 'content-type': 'text/plain' } });
    expect(small.json).toMatchObject({ method: 'POST', body: 'hello body' });
    const big = 'x'.repeat(9 * 1024 * 1024);
    const streamed = await call(cluster.proxy, '/echo/big', { method: 'PUT', body: big });
    expect(streamed.status).toBe(200);
    expect(streamed.json.body).toHaveLength(big.length);
  });

  it('answers 503 for a route without a service, and 426 for an https-only route', async () => {
    await cluster.api.post('/routes', { json: { name: 'no-service', paths: ['/lonely'] } });
    const lonely = await cluster.until('/lonely', 503);
    expect(lonely.json.message).toBe('no Service found with those values');
    await cluster.api.post('/routes', { json: { name: 'tls-only', paths: ['/tls'], protocols: ['https'], service: { name: 'echo' } } });
    const tls = await cluster.until('/tls', 426);
    expect(tls.json).toEqual({ message: 'Please use HTTPS protocol' });
    expect(tls.headers.get('upgrade')).toBe('TLS/1.2, HTTP/1.1');
  });

  it('a disabled service takes its routes out of the router', async () => {
    await cluster.api.patch('/services/echo2', { json: { enabled: false } });
    await cluster.until('/m', 404, { headers: { 'x-beta': 'yes' } });
    await cluster.api.patch('/services/echo2', { json: { enabled: true } });
    await cluster.until('/m', 200, { headers: { 'x-beta': 'yes' } });
  });
});

describe('upstream failures (Kong bodies) and retries', () => {
  it('503 when the upstream refuses connections; text/plain without Accept or Content-Type (error_default_type)', async () => {
    const closed = await rawServer((s) => s.destroy());
    const port = closed.port;
    await closed.close();
    await cluster.api.post('/services', form({ name: 'down', url: `http://127.0.0.1:${port}`, retries: '1' }));
    await cluster.api.post('/services/down/routes', form({ 'paths[]': '/down' }));
    const res = await cluster.until('/down', 503, { headers: { accept: 'application/json' } });
    expect(res.json).toEqual({ message: 'The upstream server is currently unavailable', request_id: res.headers.get('x-kong-request-id') });
    const plain = await call(cluster.proxy, '/down');
    expect(plain.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(plain.text).toMatch(/^The upstream server is currently unavailable\nrequest_id: /);
    await cluster.proxies[0]!.waitForLine((l) => l.includes('upstream request failed') && l.includes('ECONNREFUSED') && l.includes('"attempts":2'));
  });

  it('504 when the upstream does not answer within read_timeout', async () => {
    const silent = await rawServer(() => undefined);
    try {
      await cluster.api.post('/services', form({ name: 'slow', url: `http://127.0.0.1:${silent.port}`, read_timeout: '300', retries: '0' }));
      await cluster.api.post('/services/slow/routes', form({ 'paths[]': '/slow' }));
      const res = await cluster.until('/slow', 504, { headers: { accept: 'application/json' } });
      expect(res.json.message).toBe('The upstream server is timing out');
    } finally {
      await silent.close();
    }
  });

  it('502 when the upstream answers with something that is not HTTP', async () => {
    const garbage = await rawServer((s) => s.end('this is not http\r\n\r\n'));
    try {
      await cluster.api.post('/services', form({ name: 'garbage', url: `http://127.0.0.1:${garbage.port}`, retries: '0' }));
      await cluster.api.post('/services/garbage/routes', form({ 'paths[]': '/garbage' }));
      const res = await cluster.until('/garbage', 502, { headers: { accept: 'application/json' } });
      expect(res.json.message).toBe('An invalid response was received from the upstream server');
    } finally {
      await garbage.close();
    }
  });

  it('retries an idempotent request whose connection broke, not a POST', async () => {
    let connections = 0;
    const flaky = await rawServer((socket) => {
      connections++;
      socket.once('data', () => {
        if (connections % 2 === 1) socket.destroy(); // every other connection breaks before answering
        else socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok');
      });
    });
    try {
      await cluster.api.post('/services', form({ name: 'flaky', url: `http://127.0.0.1:${flaky.port}`, retries: '3' }));
      await cluster.api.post('/services/flaky/routes', form({ 'paths[]': '/flaky' }));
      await cluster.until('/flaky', 200);
      connections = 0;
      const get = await call(cluster.proxy, '/flaky');
      expect(get.status).toBe(200);
      expect(get.text).toBe('ok');
      connections = 0;
      const post = await call(cluster.proxy, '/flaky', { method: 'POST', body: 'x', headers: { accept: 'application/json' } });
      expect(post.status).toBe(502);
    } finally {
      await flaky.close();
    }
  });
});
