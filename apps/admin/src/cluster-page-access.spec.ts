/// <reference lib="dom" />
import { chromium, type Browser } from 'playwright-core';
import { AppProcess, freePort, httpClient, plantedSecret, runCli, useTestDatabase } from '@keygate/testing';

// The cluster page under enforce_rbac: its data needs an Admin API token that may read
// /keyring, as a header or through a session cookie got by signing in on the page.
const database = useTestDatabase();
const clusterSecret = plantedSecret('cluster-secret');
const password = plantedSecret('kong-password');
const readOnly = plantedSecret('token-ro');
const admin = plantedSecret('token-adm');
let node: AppProcess;
let gui: string;
let browser: Browser | undefined;
jest.setTimeout(120_000);

beforeAll(async () => {
  const env = {
    ...database.get().env(),
    KONG_ENFORCE_RBAC: 'on',
    KONG_KEYRING_ENABLED: 'on',
    KONG_KEYRING_CLUSTER_SECRET: clusterSecret,
    KONG_ADMIN_GUI_LISTEN: '127.0.0.1:0',
    // Nothing listens there: the page says so.
    KONG_VAULT_RESOLVER_URL: `http://127.0.0.1:${await freePort()}`,
  };
  await runCli(['migrations', 'up'], { env: { ...env, KONG_PASSWORD: password } });
  node = await AppProcess.start('admin', { env });
  gui = node.url('admin_gui');
  const api = httpClient(node.url('admin'), { 'Kong-Admin-Token': password });
  for (const [name, token, role] of [['ro', readOnly, 'read-only'], ['adm', admin, 'admin']] as const) {
    expect((await api.post('/rbac/users', { json: { name, user_token: token } })).status).toBe(201);
    expect((await api.post(`/rbac/users/${name}/roles`, { form: { roles: role } })).status).toBe(201);
  }
});
afterAll(async () => {
  await browser?.close();
  await node?.stop();
});

const signIn = (token: string, headers: Record<string, string> = {}) =>
  fetch(`${gui}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ token }) });

describe('cluster page with enforce_rbac = on', () => {
  it('serves its data only to a token that may read /keyring: 401 without one, 403 for read-only', async () => {
    expect((await fetch(`${gui}/`)).status).toBe(200);
    for (const path of ['/api/cluster', '/api/events']) {
      expect((await fetch(`${gui}${path}`)).status).toBe(401);
      expect((await fetch(`${gui}${path}`, { headers: { 'Kong-Admin-Token': 'nope' } })).status).toBe(401);
      const refused = await fetch(`${gui}${path}`, { headers: { 'Kong-Admin-Token': readOnly } });
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { message: string }).message).toBe('ro, you do not have permissions to read this resource (the cluster page needs read on /keyring)');
    }
    const allowed = await fetch(`${gui}/api/cluster`, { headers: { 'Kong-Admin-Token': admin } });
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toMatchObject({ user: 'adm', vaults: { status: 'unavailable' } });
  });

  it('exchanges a permitted token for an HttpOnly, SameSite=Strict session that ends at sign-out or when the user goes', async () => {
    expect((await signIn('nope')).status).toBe(401);
    expect((await signIn(readOnly)).status).toBe(403);
    expect((await signIn(admin, { origin: 'http://attacker.example' })).status).toBe(403);
    expect((await fetch(`${gui}/api/session`, { method: 'POST', body: JSON.stringify({ token: admin }) })).status).toBe(415);
    const res = await signIn(admin);
    expect(res.status).toBe(204);
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^keygate_gui_session=[\w-]{43}; Path=\/api; Max-Age=3600; HttpOnly; SameSite=Strict$/);
    expect(setCookie).not.toContain(admin);
    const cookie = setCookie.split(';')[0]!;
    expect((await fetch(`${gui}/api/cluster`, { headers: { cookie } })).status).toBe(200);
    const out = await fetch(`${gui}/api/session`, { method: 'DELETE', headers: { cookie } });
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
    expect((await fetch(`${gui}/api/cluster`, { headers: { cookie } })).status).toBe(401);

    // A session re-checks its user every time: a deleted user's session is over at once.
    const again = (await signIn(admin)).headers.get('set-cookie')!.split(';')[0]!;
    expect((await fetch(`${gui}/api/cluster`, { headers: { cookie: again } })).status).toBe(200);
    await httpClient(node.url('admin'), { 'Kong-Admin-Token': password }).delete('/rbac/users/adm');
    expect((await fetch(`${gui}/api/cluster`, { headers: { cookie: again } })).status).toBe(401);
  });

  it('shows a sign-in form in a browser, refuses a read-only token there, and shows the cluster after a permitted one', async () => {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    const page = await browser.newPage();
    await page.goto(`${gui}/`);
    await page.waitForSelector('#login:not([hidden])', { timeout: 30_000 });
    expect(await page.isHidden('#cluster')).toBe(true);
    await page.fill('#token', readOnly);
    await page.click('#login-form button');
    await page.waitForFunction(() => (document.getElementById('login-error')?.textContent ?? '').includes('needs read on /keyring'));
    await page.fill('#token', password);
    await page.click('#login-form button');
    await page.waitForSelector('#live.on', { timeout: 30_000 });
    expect(await page.textContent('#user')).toBe('signed in as kong_admin');
    expect(await page.textContent('#vaults-status')).toContain('No vault-resolver');
    expect(await page.$$('#nodes tbody tr')).toHaveLength(1);
    const cookies = await page.context().cookies();
    expect(cookies).toEqual([expect.objectContaining({ name: 'keygate_gui_session', httpOnly: true, sameSite: 'Strict', path: '/api' })]);
    expect(await page.content()).not.toContain(password);
    await page.click('#sign-out');
    await page.waitForSelector('#login:not([hidden])');
    expect(await page.evaluate(async () => (await fetch('/api/cluster')).status)).toBe(401);
  });
});
