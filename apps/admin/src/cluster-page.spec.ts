/// <reference lib="dom" />
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createMembership, Secret } from '@keygate/crypto';
import { silentLogger } from '@keygate/logging';
import { AppProcess, freePort, httpClient, plantedSecret, rawRequest, redisPrefix, REPO_ROOT, useTestDatabase, type HttpClient } from '@keygate/testing';
import { startAwsEmulator, type AwsEmulator } from '@keygate/tool-aws-emulator';
import { memberSigner, VaultResolverClient } from '@keygate/vaults/client';

// The cluster page in a real browser (Debian chromium, driven by playwright-core): every node
// row turns to the new key after a rotation through the Admin API, and the re-encryption bar
// reaches 100 %. Waits are bounded; no timing is asserted.
const database = useTestDatabase();
const secret = randomBytes(24).toString('base64url');
const prefix = redisPrefix();
const ARTIFACTS = join(REPO_ROOT, 'tmp', 'test-artifacts');
const ROWS = 3000;
const nodes: AppProcess[] = [];
let browser: Browser | undefined;
let aws: AwsEmulator | undefined;
let resolverPort: number;
jest.setTimeout(240_000);

const env = (extra: Record<string, string> = {}) => ({
  ...database.get().env(),
  KONG_KEYRING_ENABLED: 'on',
  KONG_KEYRING_CLUSTER_SECRET: secret,
  KONG_REDIS_PREFIX: prefix,
  KONG_KEYRING_REENCRYPT_BATCH_SIZE: '250',
  KONG_PROXY_WORKERS: '1',
  ...extra,
});

async function start(app: 'admin' | 'proxy' | 'keyring-broker' | 'vault-resolver', extra: Record<string, string> = {}): Promise<AppProcess> {
  const node = await AppProcess.start(app, { env: env(extra) });
  nodes.push(node);
  return node;
}

afterAll(async () => {
  await browser?.close();
  await Promise.all(nodes.map((n) => n.stop()));
  await aws?.stop();
});

async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

/** The active key each node row shows. */
const rowKeys = (page: Page) => page.$$eval('#nodes tbody tr', (rows) => rows.map((r) => (r as HTMLElement).dataset.activeKey ?? ''));

describe('cluster page (admin_gui_listen) in a browser', () => {
  let api: HttpClient;
  let page: Page;

  it('shows every node, turns each to the new key after a rotation, and fills the re-encryption bar to 100 %', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    // The vault-resolver starts in the last test; until then the page says there is none.
    resolverPort = await freePort();
    const admin = await start('admin', { KONG_ADMIN_GUI_LISTEN: '127.0.0.1:0', KONG_VAULT_RESOLVER_URL: `http://127.0.0.1:${resolverPort}` });
    api = httpClient(admin.url('admin'));
    const first = (await api.post<{ id: string; key: string }>('/keyring/generate')).json;
    await api.post('/keyring/activate', { form: { key: first.id } });
    await database.get().seedBasicAuth(ROWS, { id: first.id, key: new Secret(Buffer.from(first.key, 'base64')) }, 'page');
    await start('proxy');
    await start('proxy');
    await start('keyring-broker');

    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const outside: string[] = [];
    const guiOrigin = new URL(admin.url('admin_gui')).origin;
    page.on('request', (req) => {
      if (!req.url().startsWith(guiOrigin)) outside.push(req.url());
    });
    await page.goto(`${admin.url('admin_gui')}/`);
    await page.waitForSelector('#live.on', { timeout: 30_000 });
    await page.waitForSelector('#vaults-status[data-status="unavailable"]', { timeout: 30_000 });
    expect(await page.textContent('#vaults-status')).toContain('No vault-resolver');
    // admin, two proxies and the broker: each with a verified admission proof and the first key.
    await page.waitForFunction((key) => {
      const rows = Array.from(document.querySelectorAll<HTMLElement>('#nodes tbody tr'));
      return rows.length === 4 && rows.every((r) => r.dataset.activeKey === key && !r.classList.contains('unverified'));
    }, first.id, { timeout: 60_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'cluster-page-before-rotation.png'), fullPage: true });

    const second = (await api.post<{ id: string }>('/keyring/generate')).json;
    expect((await api.post('/keyring/activate', { form: { key: second.id } })).status).toBe(204);
    await page.waitForFunction((key) => {
      const rows = Array.from(document.querySelectorAll<HTMLElement>('#nodes tbody tr'));
      return rows.length === 4 && rows.every((r) => r.dataset.activeKey === key);
    }, second.id, { timeout: 60_000 });
    expect(await rowKeys(page)).toEqual([second.id, second.id, second.id, second.id]);
    expect(await page.textContent('#active')).toBe(second.id);

    await page.waitForFunction(
      (key) => {
        const bar = document.getElementById('progress')!;
        return bar.getAttribute('aria-valuenow') === '100' && bar.dataset.state === 'done' && (document.getElementById('progress-text')!.textContent ?? '').includes(key);
      },
      second.id,
      { timeout: 120_000 },
    );
    expect(await page.textContent('#progress-text')).toContain(`${ROWS} of ${ROWS} rows`);
    await page.screenshot({ path: join(ARTIFACTS, 'cluster-page-after-rotation.png'), fullPage: true });
    // Nothing but this listener was asked for anything (no CDN, no Admin API origin).
    expect(outside).toEqual([]);
    // No key material reaches the page.
    const html = await page.content();
    expect(html).not.toContain(first.key);
  });

  it('refuses a page addressed by a host name it does not know (DNS rebinding) and anything but GET', async () => {
    const admin = nodes[0]!;
    const gui = admin.url('admin_gui');
    const rebound = await rawRequest(gui, { path: '/api/cluster', headers: { host: 'attacker.example:8002' } });
    expect(rebound.status).toBe(403);
    const post = await fetch(`${gui}/api/cluster`, { method: 'POST' });
    expect(post.status).toBe(405);
    const snapshot = (await (await fetch(`${gui}/api/cluster`)).json()) as { nodes: Array<{ source: string; admitted: boolean }> };
    expect(snapshot.nodes).toHaveLength(4);
    expect(snapshot.nodes.every((n) => n.admitted && n.source !== 'row')).toBe(true);
  });

  it('marks a member row a database writer forged as not admitted', async () => {
    const forged = randomUUID();
    await database.get().query(
      "INSERT INTO cluster_nodes (node_id, app, hostname, version, public_key, signing_key, admission_proof, key_ids, active_key_id, started_at, last_seen) VALUES ($1, 'proxy', 'forged-host', '9.9.9', NULL, NULL, 'bogus', ARRAY['XXXXXXXX'], 'XXXXXXXX', now(), now() + interval '1 hour')",
      [forged],
    );
    await page.waitForSelector(`#nodes tbody tr[data-node-id="${forged}"].unverified`, { timeout: 30_000 });
    expect(await page.textContent(`#nodes tbody tr[data-node-id="${forged}"]`)).toContain('not admitted');
    await page.screenshot({ path: join(ARTIFACTS, 'cluster-page-forged-row.png'), fullPage: true });
  });

  it('shows the health of each vault reference in use, a working and a failing one, and never a value', async () => {
    const value = plantedSecret('gui-vault-value');
    const key = { accessKeyId: 'AKIAKEYGATEGUIPAGE01', secretAccessKey: plantedSecret('gui-aws-key') };
    aws = await startAwsEmulator({ accessKeys: [key], region: 'eu-west-1' });
    aws.secrets.create({ name: 'gui-db', value: { string: JSON.stringify({ password: value }) } });
    await start('vault-resolver', {
      KONG_VAULT_RESOLVER_LISTEN: `127.0.0.1:${resolverPort}`,
      KONG_VAULT_AWS_ENDPOINT_URL: aws.url,
      AWS_ACCESS_KEY_ID: key.accessKeyId,
      AWS_SECRET_ACCESS_KEY: key.secretAccessKey,
      AWS_REGION: 'eu-west-1',
    });
    const good = '{vault://aws/gui-db/password?ttl=300}';
    const bad = '{vault://aws/gui-missing/password}';
    // A node asking for both, as nodes do (signed by an admitted member of this cluster).
    const signer = memberSigner(await createMembership(randomUUID(), 'proxy', new Secret(secret), 1024));
    const client = new VaultResolverClient({ url: `http://127.0.0.1:${resolverPort}`, signer, logger: silentLogger() });
    expect((await client.resolve(good)).reveal()).toBe(value);
    await expect(client.resolve(bad)).rejects.toThrow('aws secret manager has no secret gui-missing');

    const health = (ref: string) => page.$$eval('#vaults tbody tr', (rows, r) => rows.find((row) => (row as HTMLElement).dataset.reference === r)?.getAttribute('data-health') ?? null, ref);
    await page.waitForFunction(
      ([g, b]) => {
        const rows = Array.from(document.querySelectorAll<HTMLElement>('#vaults tbody tr'));
        return rows.some((r) => r.dataset.reference === g && r.dataset.health === 'healthy') && rows.some((r) => r.dataset.reference === b && r.dataset.health === 'failing');
      },
      [good, bad],
      { timeout: 30_000 },
    );
    expect(await health(good)).toBe('healthy');
    const text = await page.textContent('#vaults tbody');
    expect(text).toContain('VAULT_SECRET_NOT_FOUND: aws secret manager has no secret gui-missing');
    expect(await page.textContent('#vaults-status')).toContain('2 references in use, 1 failing');
    await page.screenshot({ path: join(ARTIFACTS, 'cluster-page-vaults.png'), fullPage: true });

    // Neither the page nor its event stream carries the value or the AWS key.
    const html = await page.content();
    const stream = await readEvents(`${nodes[0]!.url('admin_gui')}/api/events`, (t) => t.includes('event: vaults'));
    for (const text of [html, stream]) {
      expect(text).toContain('gui-missing');
      expect(text).not.toContain(value);
      expect(text).not.toContain(key.secretAccessKey);
    }
  });
});

/** The event stream's text until `done` says so (or 20 s). */
async function readEvents(url: string, done: (text: string) => boolean): Promise<string> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 20_000);
  let text = '';
  try {
    const res = await fetch(url, { signal: abort.signal });
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      text += decoder.decode(chunk, { stream: true });
      if (done(text)) break;
    }
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return text;
}
