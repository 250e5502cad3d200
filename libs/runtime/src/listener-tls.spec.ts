import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, parseListenEntry, type ListenAddress } from '@keygate/config';
import { selfSignedCertificate } from '@keygate/crypto';
import { memoryLogger } from '@keygate/logging';
import { selfSignedCertificate as opensslCertificate, tlsRequest } from '@keygate/testing';
import { closeServers, httpServer, listenAll, type Server } from './listen';
import { loadListenerTls, ListenerTlsError } from './listener-tls';

const dir = mkdtempSync(join(tmpdir(), 'keygate-listener-tls-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
};
const config = async (overrides: Record<string, string> = {}) => (await loadConfig({ env: {}, defaultPaths: [], overrides })).config;
const handler = httpServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"ok":true}');
});

let servers: Server[] = [];
afterEach(async () => {
  await closeServers(servers, 0);
  servers = [];
});

async function serve(overrides: Record<string, string>, entry = '127.0.0.1:0 http2 ssl') {
  const { logger, lines } = memoryLogger();
  const cfg = await config(overrides);
  const tls = loadListenerTls(cfg, 'admin', logger);
  const listening = await listenAll('admin', [parseListenEntry(entry) as ListenAddress], handler, logger, () => tls.options);
  servers = listening.servers;
  return { url: `https://127.0.0.1:${listening.bound[0]!.port}`, tls, lines };
}

describe('listener TLS', () => {
  const ecdsa = selfSignedCertificate({ commonName: 'admin.example.test' });

  it('serves the configured certificate (file paths) over TLSv1.3, HTTP/1.1 even on an http2 entry', async () => {
    const { url, tls, lines } = await serve({ admin_ssl_cert: file('cert.pem', ecdsa.cert), admin_ssl_cert_key: file('key.pem', ecdsa.key) });
    const res = await tlsRequest(`${url}/`, { ca: ecdsa.cert, alpn: ['h2', 'http/1.1'] });
    expect(res.status).toBe(200);
    expect(res.fingerprint256).toBe(ecdsa.x509.fingerprint256);
    expect(tls.fingerprints).toEqual([ecdsa.x509.fingerprint256]);
    expect(res.protocol).toBe('TLSv1.3');
    expect(res.alpn).toBe('http/1.1');
    expect(lines.join('\n')).toContain(`SHA-256 fingerprint ${ecdsa.x509.fingerprint256}`);
    expect(lines.join('\n')).toContain('http2 is not supported; serving HTTP/1.1 over TLS');
  });

  it('accepts PEM text and base64 PEM, and one RSA plus one ECDSA certificate', async () => {
    const rsa = opensslCertificate('localhost'); // RSA 2048, from the openssl CLI
    const { url } = await serve({
      admin_ssl_cert: `${Buffer.from(ecdsa.cert).toString('base64')}, ${file('rsa.pem', rsa.cert)}`,
      admin_ssl_cert_key: `${ecdsa.key}, ${Buffer.from(rsa.key).toString('base64')}`,
    });
    expect((await tlsRequest(url, { ca: ecdsa.cert })).fingerprint256).toBe(ecdsa.x509.fingerprint256);
  });

  it('generates a self-signed certificate when none is configured, and logs its fingerprint naming the settings', async () => {
    const { url, tls, lines } = await serve({});
    expect(tls.selfSigned).toBe(true);
    const res = await tlsRequest(url);
    expect(res.fingerprint256).toBe(tls.fingerprints[0]);
    const warning = lines.find((l) => l.includes('self-signed'))!;
    expect(warning).toContain('"level":"warn"');
    expect(warning).toContain('set admin_ssl_cert and admin_ssl_cert_key');
    expect(warning).toContain(tls.fingerprints[0]);
  });

  it('honours ssl_cipher_suite: intermediate accepts TLSv1.2, modern refuses it', async () => {
    const pair = { admin_ssl_cert: ecdsa.cert, admin_ssl_cert_key: ecdsa.key };
    const intermediate = await serve(pair);
    expect((await tlsRequest(intermediate.url, { ca: ecdsa.cert, maxVersion: 'TLSv1.2' })).protocol).toBe('TLSv1.2');
    await closeServers(servers, 0);
    const modern = await serve({ ...pair, ssl_cipher_suite: 'modern' });
    await expect(tlsRequest(modern.url, { ca: ecdsa.cert, maxVersion: 'TLSv1.2' })).rejects.toThrow(/protocol version|alert/i);
  });

  it('refuses a key that does not match, naming the setting and never the key', async () => {
    const other = selfSignedCertificate();
    const cfg = await config({ admin_ssl_cert: file('c1.pem', ecdsa.cert), admin_ssl_cert_key: file('k1.pem', other.key) });
    const error = (() => {
      try {
        loadListenerTls(cfg, 'admin', memoryLogger().logger);
      } catch (err) {
        return err as ListenerTlsError;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ListenerTlsError);
    expect(error!.message).toMatch(/^admin_ssl_cert_key: the key from .*k1\.pem does not match the certificate from .*c1\.pem \(admin_ssl_cert\)$/);
    expect(error!.message).not.toContain('PRIVATE KEY');
  });

  it('names the setting for a missing file, an unparsable key given as PEM text, and two keys of one type', async () => {
    const { logger } = memoryLogger();
    const missing = await config({ status_ssl_cert: '/nonexistent/cert.pem', status_ssl_cert_key: file('k2.pem', ecdsa.key) });
    expect(() => loadListenerTls(missing, 'status', logger)).toThrow('status_ssl_cert: failed to read file /nonexistent/cert.pem: no such file');
    const garbled = ecdsa.key.replace(/\n[A-Za-z0-9+/]{10}/, '\n!!!!!!!!!!');
    const badKey = await config({ status_ssl_cert: ecdsa.cert, status_ssl_cert_key: garbled });
    let message = '';
    try {
      loadListenerTls(badKey, 'status', logger);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^status_ssl_cert_key: failed loading key from PEM text/);
    expect(message).not.toContain(garbled.slice(40, 80));
    const other = selfSignedCertificate();
    const twoEc = await config({ admin_gui_ssl_cert: `${ecdsa.cert},${other.cert}`, admin_gui_ssl_cert_key: `${ecdsa.key},${other.key}` });
    expect(() => loadListenerTls(twoEc, 'admin_gui', logger)).toThrow('admin_gui_ssl_cert: certificates 1 and 2 both have ec keys');
  });

  it('warns about an expired certificate and still serves it', async () => {
    const expired = selfSignedCertificate({ notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
    const { url, lines } = await serve({ admin_ssl_cert: expired.cert, admin_ssl_cert_key: expired.key });
    expect(lines.find((l) => l.includes('expired on'))).toContain('admin_ssl_cert: the certificate from PEM text expired on');
    expect((await tlsRequest(url)).fingerprint256).toBe(expired.x509.fingerprint256);
  });
});
