import { AppProcess, freePort, rawRequest, useTestDatabase, type RawRequest } from '@keygate/testing';

/**
 * The attacker owns a web page an operator visits; the operator's browser can reach the local
 * Admin API. Every browser-sent request from another origin must be refused before it reads a
 * body or reaches a route, and change nothing.
 */
const database = useTestDatabase();
const MANAGER = 'http://manager.test:8002';
const EVIL = 'http://evil.example';
let admin: AppProcess;
let base: string;
let own: string;

beforeAll(async () => {
  admin = await AppProcess.start('admin', {
    env: { ...database.get().env(), KONG_KEYRING_ENABLED: 'on', KONG_ADMIN_GUI_URL: `${MANAGER}/some/path` },
  });
  base = admin.url('admin');
  own = new URL(base).origin;
});

afterAll(() => admin?.stop());

const send = (options: RawRequest) => rawRequest(base, options);
const form = (path: string, body: string, headers: Record<string, string>) =>
  send({ method: 'POST', path, body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
/** What an attack could change: rows of every entity table, and the keyring this node holds. */
/** What a browser sends before a POST with a JSON body from another origin. */
const preflightFrom = (origin: string) =>
  send({ method: 'OPTIONS', path: '/consumers', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
const counts = async () => ({
  rows: await database.get().query(
    `SELECT (SELECT count(*) FROM consumers)::int AS consumers, (SELECT count(*) FROM keyauth_credentials)::int AS key_auths,
            (SELECT count(*) FROM vaults)::int AS vaults`,
  ),
  keyring: (await send({ path: '/keyring' })).json,
});

describe('cross-site browser requests to the Admin API', () => {
  let before: Awaited<ReturnType<typeof counts>>;

  beforeAll(async () => {
    expect((await form('/consumers', 'username=operator', {})).status).toBe(201);
    before = await counts();
  });

  it('refuses a cross-site form POST to /consumers with 403, creates nothing and logs the origin', async () => {
    const res = await form('/consumers', 'username=mallory', { origin: EVIL, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' });
    expect(res.status).toBe(403);
    expect(res.json).toEqual({ message: expect.stringMatching(/^Cross-site requests to the Admin API are not allowed/) });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect((await send({ path: '/consumers/mallory' })).status).toBe(404);
    const line = await admin.waitForLine((l) => l.includes('cross-site request refused') && l.includes(EVIL));
    expect(JSON.parse(line)).toMatchObject({ level: 'warn', method: 'POST', path: '/consumers', origin: EVIL, sec_fetch_site: 'cross-site' });
  });

  it.each([
    ['an Origin of another site', { origin: EVIL }],
    ['Origin: null (sandboxed frame, file: page)', { origin: 'null' }],
    ['another port on the same host (same-site, still another origin)', { origin: 'http://127.0.0.1:1', 'sec-fetch-site': 'same-site' }],
    ['no Origin but Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['no Origin but Sec-Fetch-Site: same-site', { 'sec-fetch-site': 'same-site' }],
  ])('refuses %s on every route: entities, nested, keyring, vaults, unknown paths', async (_what, headers) => {
    const attempts: RawRequest[] = [
      { method: 'POST', path: '/consumers', body: 'username=mallory' },
      { method: 'POST', path: '/consumers/operator/key-auth', body: 'key=attacker-chosen-key' },
      { method: 'DELETE', path: '/consumers/operator' },
      { method: 'POST', path: '/keyring/generate' },
      { method: 'POST', path: '/keyring/export' },
      { method: 'POST', path: '/vaults', body: 'name=env&prefix=mallory' },
      // Read-only requests too: with CORS they would leak keys, and a GET is a GET of secrets.
      { method: 'GET', path: '/key-auths' },
      { method: 'GET', path: '/no-such-path' },
    ];
    for (const attempt of attempts) {
      const res = await send({ ...attempt, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
      expect([attempt.path, res.status]).toEqual([attempt.path, 403]);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    }
    expect(await counts()).toEqual(before);
  });

  it('refuses a text/plain JSON body (a simple request, no preflight) and never parses it as JSON', async () => {
    const body = JSON.stringify({ username: 'mallory' });
    expect((await send({ method: 'POST', path: '/consumers', body, headers: { origin: EVIL, 'content-type': 'text/plain' } })).status).toBe(403);
    // Same origin or a script: text/plain is still not JSON.
    expect((await send({ method: 'POST', path: '/consumers', body, headers: { 'content-type': 'text/plain' } })).status).toBe(415);
    expect(await counts()).toEqual(before);
  });

  it('answers a preflight from another site with 403 and no CORS headers; Kong would answer Access-Control-Allow-Origin: *', async () => {
    const res = await preflightFrom(EVIL);
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-methods')).toBeNull();
  });

  it('lets admin_gui_url (any path, only its origin counts) use the API from a browser, with CORS', async () => {
    const preflight = await preflightFrom(MANAGER);
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(MANAGER);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type');
    const created = await send({
      method: 'POST',
      path: '/consumers',
      body: JSON.stringify({ username: 'from-manager' }),
      headers: { origin: MANAGER, 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('access-control-allow-origin')).toBe(MANAGER);
    expect(created.headers.get('vary')).toContain('Origin');
  });

  it("accepts the API's own origin, Sec-Fetch-Site same-origin or none, and clients without Origin (curl, SDKs)", async () => {
    const ok: Array<Record<string, string>> = [
      { origin: own, 'sec-fetch-site': 'same-origin' },
      { 'sec-fetch-site': 'same-origin' },
      { 'sec-fetch-site': 'none' },
      {},
    ];
    for (const [i, headers] of ok.entries()) {
      const res = await form('/consumers', `username=allowed-${i}`, headers);
      expect([headers, res.status]).toEqual([headers, 201]);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it('refuses browser requests that name the API by a host name it does not know (DNS rebinding), while curl may use any name', async () => {
    const port = new URL(base).port;
    const rebound = { host: `evil.example:${port}`, 'sec-fetch-site': 'same-origin' };
    const read = await send({ path: '/consumers', headers: rebound });
    expect(read.status).toBe(403);
    expect(read.json.message).toContain('DNS rebinding');
    expect((await form('/consumers', 'username=rebound', { ...rebound, origin: `http://evil.example:${port}` })).status).toBe(403);
    expect((await send({ path: '/consumers/rebound' })).status).toBe(404);
    // Scripts in a compose network call the admin by its service name: no browser headers, allowed.
    expect((await send({ path: '/consumers', headers: { host: `admin:${port}` } })).status).toBe(200);
    expect((await send({ path: '/consumers', headers: { host: `localhost:${port}`, 'sec-fetch-site': 'none' } })).status).toBe(200);
    expect((await send({ path: '/consumers', headers: { host: `manager.test:${port}`, 'sec-fetch-site': 'same-origin' } })).status).toBe(200);
    await admin.waitForLine((l) => l.includes('browser request to the Admin API by an unknown host name refused') && l.includes('evil.example'));
  });

  it('does not take a same-host origin on another port for its own', async () => {
    const port = await freePort();
    const res = await form('/consumers', 'username=mallory', { origin: `http://127.0.0.1:${port}` });
    expect(res.status).toBe(403);
    expect((await send({ path: '/consumers/mallory' })).status).toBe(404);
  });
});
