import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedCertificate } from '@keygate/crypto';
import { AppProcess, plantedSecret, rsaKeyFiles, runCli, tlsRequest, useTestDatabase } from '@keygate/testing';

// The Admin API, the status listener and the cluster page over real TLS: the configured
// certificate is the one served, RBAC works over it, a key that does not match stops the node
// naming the setting, and without a certificate a self-signed one is generated and announced.
const database = useTestDatabase();
const rsa = rsaKeyFiles();
const clusterSecret = plantedSecret('cluster-secret');
const password = plantedSecret('kong-password');
const dir = mkdtempSync(join(tmpdir(), 'keygate-admin-tls-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
};
const admin = selfSignedCertificate({ commonName: 'admin.keygate.test' });
const status = selfSignedCertificate({ commonName: 'status.keygate.test' });
const nodes: AppProcess[] = [];
jest.setTimeout(120_000);

const env = (extra: Record<string, string> = {}) => ({
  ...database.get().env(),
  KONG_KEYRING_ENABLED: 'on',
  KONG_KEYRING_RECOVERY_PUBLIC_KEY: rsa.publicPath,
  KONG_KEYRING_CLUSTER_SECRET: clusterSecret,
  KONG_ENFORCE_RBAC: 'on',
  ...extra,
});
async function start(extra: Record<string, string>, waitReady = true): Promise<AppProcess> {
  const node = await AppProcess.start('admin', { env: env(extra), waitReady });
  nodes.push(node);
  return node;
}

beforeAll(async () => {
  const seeded = await runCli(['migrations', 'up'], { env: { ...env(), KONG_PASSWORD: password } });
  expect(seeded.code).toBe(0);
}, 120_000);
afterAll(() => Promise.all(nodes.map((n) => n.stop())));

describe('TLS listeners of the admin node', () => {
  let node: AppProcess;
  beforeAll(async () => {
    node = await start({
      KONG_ADMIN_LISTEN: '127.0.0.1:0, 127.0.0.1:0 http2 ssl',
      KONG_ADMIN_SSL_CERT: file('admin.crt', admin.cert),
      KONG_ADMIN_SSL_CERT_KEY: file('admin.key', admin.key),
      KONG_STATUS_LISTEN: '127.0.0.1:0, 127.0.0.1:0 ssl',
      KONG_STATUS_SSL_CERT: status.cert,
      KONG_STATUS_SSL_CERT_KEY: status.key,
      KONG_ADMIN_GUI_LISTEN: '127.0.0.1:0 ssl',
    });
  });

  it('serves the Admin API with admin_ssl_cert, over HTTP/1.1 on an http2 entry, and checks Kong-Admin-Token', async () => {
    const url = node.url('admin', { tls: true });
    const denied = await tlsRequest(`${url}/consumers`, { ca: admin.cert, alpn: ['h2', 'http/1.1'] });
    expect(denied).toMatchObject({ status: 401, json: { message: 'Invalid RBAC credentials' }, fingerprint256: admin.x509.fingerprint256, alpn: 'http/1.1' });
    const allowed = await tlsRequest(`${url}/consumers`, { ca: admin.cert, headers: { 'Kong-Admin-Token': password } });
    expect(allowed.status).toBe(200);
    const created = await tlsRequest(`${url}/consumers`, { ca: admin.cert, method: 'POST', headers: { 'Kong-Admin-Token': password }, body: JSON.stringify({ username: 'over-tls' }) });
    expect(created.status).toBe(201);
    // The plain entry still answers.
    expect((await fetch(`${node.url('admin')}/consumers/over-tls`, { headers: { 'Kong-Admin-Token': password } })).status).toBe(200);
  });

  it('serves the status listener with status_ssl_cert (given as PEM text)', async () => {
    const res = await tlsRequest(`${node.url('status', { tls: true })}/status/ready`, { ca: status.cert });
    expect(res).toMatchObject({ status: 200, json: { message: 'ready' }, fingerprint256: status.x509.fingerprint256 });
  });

  it('serves the cluster page over TLS with a self-signed certificate whose fingerprint it logged', async () => {
    const line = node.lines.find((l) => l.includes('admin_gui_listen: no certificate configured'))!;
    expect(line).toContain('set admin_gui_ssl_cert and admin_gui_ssl_cert_key');
    const { fingerprint_sha256: logged } = JSON.parse(line) as { fingerprint_sha256: string };
    // RBAC is on: the page's data needs a token with read on /keyring (kong_admin's will do).
    expect((await tlsRequest(`${node.url('admin_gui', { tls: true })}/api/cluster`)).status).toBe(401);
    const res = await tlsRequest(`${node.url('admin_gui', { tls: true })}/api/cluster`, { headers: { 'Kong-Admin-Token': password } });
    expect(res.status).toBe(200);
    expect(res.fingerprint256).toBe(logged);
    expect(node.output).toContain(`SHA-256 fingerprint ${admin.x509.fingerprint256}`);
  });
});

describe('misconfigured listener TLS', () => {
  it('fails start naming admin_ssl_cert_key when the key does not match, without printing the key', async () => {
    const other = selfSignedCertificate();
    const node = await start(
      { KONG_ADMIN_LISTEN: '127.0.0.1:0 ssl', KONG_ADMIN_SSL_CERT: file('a.crt', admin.cert), KONG_ADMIN_SSL_CERT_KEY: file('other.key', other.key) },
      false,
    );
    const exit = await node.exited;
    expect(exit.code).toBe(1);
    expect(node.output).toMatch(/admin failed to start: admin_ssl_cert_key: the key from .*other\.key does not match the certificate from .*a\.crt \(admin_ssl_cert\)/);
    expect(node.output).not.toContain('PRIVATE KEY');
  });

  it('refuses status_ssl_cert_key without status_ssl_cert at configuration time', async () => {
    const node = await start({ KONG_STATUS_SSL_CERT_KEY: file('lonely.key', status.key) }, false);
    expect((await node.exited).code).toBe(1);
    expect(node.output).toContain('status_ssl_cert (env KONG_STATUS_SSL_CERT_KEY): must be specified (status_ssl_cert_key is set)');
  });
});
