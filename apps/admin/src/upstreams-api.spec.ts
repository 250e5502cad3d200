import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedCertificate as inMemoryCertificate } from '@keygate/crypto';
import { selfSignedCertificate, useAdminNode, useTestDatabase } from '@keygate/testing';

const database = useTestDatabase();
const admin = useAdminNode(database);

/** A CA certificate (basicConstraints CA:TRUE), made with the openssl CLI. */
function caCertificate(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keygate-ca-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '2', '-subj', '/CN=test-ca', '-addext', 'basicConstraints=critical,CA:TRUE'], { stdio: 'ignore' });
  return readFileSync(join(dir, 'c.pem'), 'utf8');
}

describe('upstreams and targets (Admin API, Kong shapes)', () => {
  it("creates an upstream with Kong's defaults and validates names and hashing", async () => {
    const created = await admin.api.post<Record<string, unknown>>('/upstreams', { json: { name: 'service.v1.xyz' } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      name: 'service.v1.xyz',
      algorithm: 'round-robin',
      hash_on: 'none',
      hash_fallback: 'none',
      hash_on_cookie_path: '/',
      slots: 10000,
      use_srv_name: false,
      host_header: null,
      client_certificate: null,
      tags: null,
      healthchecks: {
        threshold: 0,
        active: { type: 'http', timeout: 1, concurrency: 10, http_path: '/', https_verify_certificate: true, healthy: { interval: 0, successes: 0, http_statuses: [200, 302] }, unhealthy: { interval: 0, tcp_failures: 0, timeouts: 0, http_failures: 0, http_statuses: [429, 404, 500, 501, 502, 503, 504, 505] } },
        passive: { type: 'http', healthy: { successes: 0 }, unhealthy: { tcp_failures: 0, timeouts: 0, http_failures: 0, http_statuses: [429, 500, 503] } },
      },
    });
    expect((await admin.api.get('/upstreams/service.v1.xyz')).json.id).toBe(created.json.id);
    // `hash_on` other than none means consistent-hashing (Kong's shorthand)
    const hashed = await admin.api.post('/upstreams', { json: { name: 'hashed', hash_on: 'header', hash_on_header: 'x-user' } });
    expect(hashed.json).toMatchObject({ algorithm: 'consistent-hashing', hash_on: 'header' });

    const ip = await admin.api.post('/upstreams', { json: { name: '10.0.0.1' } });
    expect(ip.status).toBe(400);
    expect(ip.json).toMatchObject({ code: 2, fields: { name: "Invalid name ('10.0.0.1'); no ip addresses allowed" } });
    const port = await admin.api.post('/upstreams', { json: { name: 'host:80' } });
    expect((port.json.fields as Record<string, string>).name).toBe("Invalid name ('host:80'); no port allowed");
    const slots = await admin.api.post('/upstreams', { json: { name: 'few', slots: 5 } });
    expect(slots.json.fields).toEqual({ slots: 'value should be between 10 and 65536' });
    const missing = await admin.api.post('/upstreams', { json: { name: 'nohdr', hash_on: 'header' } });
    expect(missing.json.fields).toEqual({ hash_on_header: 'required field missing' });
  });

  it('nests targets under their upstream (default port 8000, weight 100), addressable by id or target', async () => {
    await admin.api.post('/upstreams', { json: { name: 'pool' } });
    const t = await admin.api.post<Record<string, unknown>>('/upstreams/pool/targets', { json: { target: '10.1.2.3' } });
    expect(t.status).toBe(201);
    expect(t.json).toMatchObject({ target: '10.1.2.3:8000', weight: 100, upstream: { id: expect.any(String) } });
    expect((await admin.api.post('/upstreams/pool/targets', { json: { target: '10.1.2.3:8000' } })).status).toBe(409);
    expect((await admin.api.post('/upstreams/pool/targets', { json: { target: 'not a host' } })).json.fields).toEqual({ target: 'Invalid target; not a valid hostname or ip address' });
    expect((await admin.api.post('/upstreams/pool/targets', { json: { target: 'a.test', weight: 70000 } })).json.fields).toEqual({ weight: 'value should be between 0 and 65535' });
    expect((await admin.api.get('/upstreams/pool/targets/10.1.2.3:8000')).json.id).toBe(t.json.id);
    const patched = await admin.api.patch(`/upstreams/pool/targets/${String(t.json.id)}`, { json: { weight: 5 } });
    expect(patched.json.weight).toBe(5);
    const all = await admin.api.get<{ data: unknown[]; next: null }>('/upstreams/pool/targets/all');
    expect(all.json).toEqual({ data: [expect.objectContaining({ id: t.json.id })], next: null });
    // Kong serves targets only under their upstream.
    expect((await admin.api.get('/targets')).status).toBe(404);
    expect((await admin.api.request('PUT', '/upstreams/pool/targets', { json: {} })).status).toBe(405);
    // No proxy has reported yet: Kong's DNS_ERROR (no balancer holds the target).
    const health = await admin.api.get<{ data: Array<{ health: string }>; node_id: string }>('/upstreams/pool/health');
    expect(health.json.data.map((d) => d.health)).toEqual(['DNS_ERROR']);
    expect(health.json.node_id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await admin.api.put('/upstreams/pool/targets/10.1.2.3:8000/unhealthy')).status).toBe(204);
    expect((await admin.api.put('/upstreams/pool/targets/10.9.9.9:8000/unhealthy')).status).toBe(404);
    expect((await admin.api.request('DELETE', '/upstreams/pool')).status).toBe(204);
    expect((await database.get().query('SELECT 1 FROM targets')).length).toBe(0);
  });

  it('snis name a certificate (/snis/{name}, /certificates/{c}/snis) with Kong name rules', async () => {
    const { cert, key } = selfSignedCertificate('example.test');
    const c = await admin.api.post<{ id: string }>('/certificates', { json: { cert, key } });
    const sni = await admin.api.post<Record<string, unknown>>(`/certificates/${c.json.id}/snis`, { json: { name: '*.example.test' } });
    expect(sni.status).toBe(201);
    expect(sni.json).toMatchObject({ name: '*.example.test', certificate: { id: c.json.id } });
    expect((await admin.api.get('/snis/*.example.test')).json.id).toBe(sni.json.id);
    for (const [name, message] of [
      ['*.a.*', 'only one wildcard must be specified'],
      ['a.*.b', 'wildcard must be leftmost or rightmost character'],
      ['10.0.0.1', 'must not be an IP'],
      ['host.test:443', 'must not have a port'],
    ] as const) {
      expect((await admin.api.post('/snis', { json: { name, certificate: { id: c.json.id } } })).json.fields).toEqual({ name: message });
    }
    expect((await admin.api.post('/snis', { json: { name: '*.example.test', certificate: { id: c.json.id } } })).status).toBe(409);
    expect((await admin.api.request('DELETE', `/certificates/${c.json.id}`)).status).toBe(204);
    expect((await admin.api.get('/snis/*.example.test')).status).toBe(404);
  });

  it("ca_certificates: a CA only, one at a time, with Kong's cert_digest", async () => {
    const ca = caCertificate();
    const created = await admin.api.post<{ cert_digest: string }>('/ca_certificates', { json: { cert: ca } });
    expect(created.status).toBe(201);
    expect(created.json.cert_digest).toMatch(/^[0-9a-f]{64}$/);
    expect((await admin.api.post('/ca_certificates', { json: { cert: ca } })).status).toBe(409);
    // basicConstraints CA:FALSE (openssl req -x509 marks its certificates CA:TRUE)
    const leaf = inMemoryCertificate().cert;
    expect((await admin.api.post('/ca_certificates', { json: { cert: leaf } })).json.fields).toEqual({ cert: 'certificate does not appear to be a CA because it is missing the "CA" basic constraint' });
    expect((await admin.api.post('/ca_certificates', { json: { cert: ca + ca } })).json.fields).toEqual({ cert: 'please submit only one certificate at a time' });
  });
});
