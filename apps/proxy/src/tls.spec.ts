import { execFileSync } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect as http2Connect } from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AppProcess, awsVaultEnv, httpClient, plantedSecret, redisPrefix, rsaKeyFiles, selfSignedCertificate, tlsRequest, useTestDatabase, vaultResolverUrl } from '@keygate/testing';
import { startAwsEmulator, type AwsEmulator } from '@keygate/tool-aws-emulator';
import { echoServer, eventually, servedCertificate, tlsAddress } from '../test/harness';

const database = useTestDatabase();
jest.setTimeout(180_000);

const rsa = rsaKeyFiles();
const AWS_KEY = { accessKeyId: 'AKIAKEYGATEPROXYTLS1', secretAccessKey: plantedSecret('aws-key') };
const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

let aws: AwsEmulator;
let sm: SecretsManagerClient;
let echo: Awaited<ReturnType<typeof echoServer>>;
const nodes: AppProcess[] = [];
let proxy: AppProcess;
let api: ReturnType<typeof httpClient>;
const rotating = [selfSignedCertificate('rotating.test', 'ec'), selfSignedCertificate('rotating.test', 'ec')];

beforeAll(async () => {
  aws = await startAwsEmulator({ accessKeys: [AWS_KEY], region: 'eu-west-1' });
  sm = new SecretsManagerClient({ endpoint: aws.url, region: aws.region, credentials: AWS_KEY, maxAttempts: 1 });
  await sm.send(new CreateSecretCommand({ Name: 'proxy-tls', SecretString: JSON.stringify(rotating[0]) }));
  echo = await echoServer();
  const env = {
    ...database.get().env(),
    KONG_KEYRING_ENABLED: 'on',
    KONG_KEYRING_PUBLIC_KEY: rsa.publicPath,
    KONG_KEYRING_PRIVATE_KEY: rsa.privatePath,
    KONG_KEYRING_BLOB_PATH: join(rsa.dir, 'keyring.blob'),
    KONG_KEYRING_CLUSTER_SECRET: randomBytes(24).toString('base64url'),
    KONG_REDIS_PREFIX: redisPrefix(),
    KONG_VAULT_RESOLVER_LISTEN: '127.0.0.1:0',
    ...awsVaultEnv(aws, AWS_KEY),
  };
  nodes.push(await AppProcess.start('admin', { env }));
  nodes.push(await AppProcess.start('vault-resolver', { env }));
  api = httpClient(nodes[0]!.url('admin'));
  // Separate loopback addresses: workers share listen sockets per address and port.
  proxy = await AppProcess.start('proxy', {
    env: { ...env, KONG_PROXY_WORKERS: '2', KONG_VAULT_RESOLVER_URL: vaultResolverUrl(nodes[1]!), KONG_PROXY_LISTEN: '127.0.0.1:0, 127.0.0.2:0 ssl, 127.0.0.3:0 http2 ssl' },
  });
  nodes.push(proxy);
  await api.post('/services', { form: { name: 'echo', url: echo.url } });
  await api.post('/services/echo/routes', { json: { name: 'echo', paths: ['/echo'] } });
});
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  sm?.destroy();
  await Promise.all([aws?.stop(), echo?.close()]);
});

/** A CA and a server certificate it signed for 127.0.0.1 (openssl CLI). */
function caAndLeaf(): { ca: string; cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'keygate-ca-'));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=upstream-ca', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
  run('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
  run('x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'leaf.crt', '-days', '2', '-extfile', 'ext.cnf');
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return { ca: read('ca.crt'), cert: read('leaf.crt'), key: read('leaf.key') };
}

describe('proxy TLS (ssl entries of proxy_listen)', () => {
  it("verifies an https upstream against the service's ca_certificates when tls_verify is on", async () => {
    const pki = caAndLeaf();
    const upstream = createHttpsServer({ cert: pki.cert, key: pki.key }, (_req, res) => res.end('verified'));
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    try {
      const port = (upstream.address() as AddressInfo).port;
      const service = await api.post<{ id: string }>('/services', { json: { name: 'secure', url: `https://127.0.0.1:${port}`, tls_verify: true } });
      expect(service.status).toBe(201);
      await api.post('/services/secure/routes', { json: { name: 'secure', paths: ['/secure'] } });
      // Not signed by a CA the system trusts: refused (502).
      const refused = await eventually(() => tlsRequest(`https://${tlsAddress(proxy).host}:${tlsAddress(proxy).port}/secure`), (r) => r.status !== 404);
      expect(refused.status).toBe(502);
      const ca = await api.post<{ id: string }>('/ca_certificates', { json: { cert: pki.ca } });
      expect(ca.status).toBe(201);
      expect((await api.patch('/services/secure', { json: { ca_certificates: [ca.json.id] } })).status).toBe(200);
      const ok = await eventually(() => tlsRequest(`https://${tlsAddress(proxy).host}:${tlsAddress(proxy).port}/secure`), (r) => r.status === 200);
      expect(ok.text).toBe('verified');
    } finally {
      upstream.closeAllConnections();
      await new Promise<void>((resolve) => upstream.close(() => resolve()));
    }
  });

  it('chooses the certificate by SNI from the snis entity: exact, prefix and suffix wildcards, else the default', async () => {
    const rsaCert = selfSignedCertificate('api.example.test', 'rsa');
    const ecCert = selfSignedCertificate('api.example.test', 'ec');
    const wild = selfSignedCertificate('wild.test', 'ec');
    const suffix = selfSignedCertificate('suffix', 'ec');
    const created = await api.post<{ id: string }>('/certificates', { json: { cert: rsaCert.cert, key: rsaCert.key, cert_alt: ecCert.cert, key_alt: ecCert.key } });
    expect(created.status).toBe(201);
    expect((await api.post(`/certificates/${created.json.id}/snis`, { json: { name: 'api.example.test' } })).status).toBe(201);
    const w = (await api.post<{ id: string }>('/certificates', { json: { cert: wild.cert, key: wild.key } })).json;
    expect((await api.post('/snis', { json: { name: '*.wild.test', certificate: { id: w.id } } })).status).toBe(201);
    const s = (await api.post<{ id: string }>('/certificates', { json: { cert: suffix.cert, key: suffix.key } })).json;
    expect((await api.post('/snis', { json: { name: 'suffix.*', certificate: { id: s.id } } })).status).toBe(201);
    // Kong's name rules
    const bad = await api.post('/snis', { json: { name: '*.a.*', certificate: { id: s.id } } });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ fields: { name: 'only one wildcard must be specified' } });

    const address = tlsAddress(proxy, 0);
    // The primary certificate is served (Node serves one certificate per SNI context: cert_alt is not chosen).
    await eventually(() => servedCertificate(address, 'api.example.test'), (c) => c.subject === 'api.example.test');
    expect((await servedCertificate(address, 'api.example.test')).fingerprint256).toBe(fingerprint(rsaCert.cert));
    expect((await servedCertificate(address, 'api.example.test', { maxVersion: 'TLSv1.2' })).fingerprint256).toBe(fingerprint(rsaCert.cert));
    expect((await servedCertificate(address, 'API.Example.Test')).subject).toBe('api.example.test');
    expect((await servedCertificate(address, 'a.wild.test')).fingerprint256).toBe(fingerprint(wild.cert));
    expect((await servedCertificate(address, 'suffix.org')).fingerprint256).toBe(fingerprint(suffix.cert));
    // No match, no SNI: the default (no ssl_cert configured: an RSA one generated at start, CN localhost).
    const fallback = await servedCertificate(address, 'other.test');
    expect(fallback.subject).toBe('localhost');
    expect((await servedCertificate(address, 'other.test', { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' })).fingerprint256).toBe(fallback.fingerprint256);
    expect((await servedCertificate(address, undefined)).fingerprint256).toBe(fallback.fingerprint256);

    // A name moved to another certificate is served with it, without a restart.
    expect((await api.request('PATCH', '/snis/suffix.*', { json: { certificate: { id: w.id } } })).status).toBe(200);
    await eventually(() => servedCertificate(address, 'suffix.org'), (c) => c.fingerprint256 === fingerprint(wild.cert));
    // A deleted certificate takes its names with it.
    expect((await api.request('DELETE', `/certificates/${w.id}`)).status).toBe(204);
    await eventually(() => servedCertificate(address, 'a.wild.test'), (c) => c.fingerprint256 === fallback.fingerprint256);
  });

  it('proxies HTTPS requests (X-Forwarded-Proto https) and HTTP/2 on http2 entries', async () => {
    const { host, port } = tlsAddress(proxy, 0);
    const res = await tlsRequest(`https://${host}:${port}/echo/x`);
    expect(res.status).toBe(200);
    expect((res.json as { url: string; headers: Record<string, string> }).headers['x-forwarded-proto']).toBe('https');
    expect(res.alpn).toBe(false);
    // A route with snis answers only clients that sent one of those names.
    expect((await api.post('/services/echo/routes', { json: { name: 'by-sni', paths: ['/by-sni'], snis: ['routed.example.test'] } })).status).toBe(201);
    const routed = await eventually(() => tlsRequest(`https://${host}:${port}/by-sni`, { servername: 'routed.example.test' }), (r) => r.status === 200);
    expect((routed.json as { url: string }).url).toBe('/');
    expect((await tlsRequest(`https://${host}:${port}/by-sni`, { servername: 'other.example.test' })).status).toBe(404);

    const h2 = tlsAddress(proxy, 1);
    const session = http2Connect(`https://${h2.host}:${h2.port}`, { rejectUnauthorized: false });
    try {
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const stream = session.request({ ':path': '/echo/h2?q=1', ':method': 'GET', 'x-test': 'yes' });
        let status = 0;
        let body = '';
        stream.on('response', (headers) => (status = Number(headers[':status'])));
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => (body += chunk));
        stream.on('end', () => resolve({ status, body }));
        stream.on('error', reject);
        stream.end();
      });
      expect(session.alpnProtocol).toBe('h2');
      expect(answer.status).toBe(200);
      const seen = JSON.parse(answer.body) as { url: string; headers: Record<string, string> };
      expect(seen.url).toBe('/h2?q=1');
      expect(seen.headers['x-test']).toBe('yes');
      expect(seen.headers['x-forwarded-proto']).toBe('https');
      expect(Object.keys(seen.headers).some((name) => name.startsWith(':'))).toBe(false);
    } finally {
      session.close();
    }
    // HTTP/1.1 clients still work on the http2 entry (ALPN fallback).
    const h1 = await tlsRequest(`https://${h2.host}:${h2.port}/echo/y`, { alpn: ['http/1.1'] });
    expect(h1.status).toBe(200);
    expect(h1.alpn).toBe('http/1.1');
  });

  it('serves a certificate whose cert and key are {vault://...} references, and a rotated secret without a restart', async () => {
    const created = await api.post<{ id: string; key: string }>('/certificates', {
      json: { cert: '{vault://aws/proxy-tls/cert?ttl=1}', key: '{vault://aws/proxy-tls/key?ttl=1}', snis: undefined },
    });
    expect(created.status).toBe(201);
    expect(created.json.key).toBe('{vault://aws/proxy-tls/key?ttl=1}');
    // The reference itself is stored encrypted, as every certificate key.
    const row = await database.get().query<{ key: string }>('SELECT key FROM certificates WHERE id = $1', [created.json.id]);
    expect(row[0]!.key).toMatch(/^\$ke\$2\$/);
    expect((await api.post(`/certificates/${created.json.id}/snis`, { json: { name: 'rotating.test' } })).status).toBe(201);
    const address = tlsAddress(proxy, 0);
    await eventually(() => servedCertificate(address, 'rotating.test'), (c) => c.fingerprint256 === fingerprint(rotating[0]!.cert), 30_000);

    const pid = proxy.pid;
    await sm.send(new PutSecretValueCommand({ SecretId: 'proxy-tls', SecretString: JSON.stringify(rotating[1]) }));
    await eventually(() => servedCertificate(address, 'rotating.test'), (c) => c.fingerprint256 === fingerprint(rotating[1]!.cert), 30_000);
    expect(proxy.pid).toBe(pid);
    expect(proxy.output).not.toContain(rotating[1]!.key.split('\n')[1]);
  });
});
