import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorsOf, HcvClient, HcvUnreachableError, trimPath } from './client';

describe('HcvClient', () => {
  let server: Server;
  let address: string;
  const seen: Array<{ method?: string; url?: string; headers: IncomingMessage['headers']; body: string }> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        if (req.url === '/v1/not-json') return void res.writeHead(502).end('<html>bad gateway</html>');
        if (req.url === '/v1/slow') return void setTimeout(() => res.end('{}'), 500);
        res.writeHead(req.url === '/v1/secret/data/missing' ? 404 : 200, { 'content-type': 'application/json' });
        res.end(req.url === '/v1/secret/data/missing' ? '{"errors":[]}' : JSON.stringify({ data: { data: { a: 1 } } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    address = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends the token, the namespace and a JSON body, and returns the JSON answer with its status', async () => {
    const client = new HcvClient({ address, namespace: 'team-a', timeoutMs: 1000 });
    expect(await client.call('POST', 'auth/approle/login', { token: 't0k', body: { role_id: 'r' } })).toEqual({ status: 200, body: { data: { data: { a: 1 } } } });
    expect(seen.at(-1)).toMatchObject({ method: 'POST', url: '/v1/auth/approle/login', headers: { 'x-vault-token': 't0k', 'x-vault-namespace': 'team-a' }, body: '{"role_id":"r"}' });
    expect(await client.call('GET', 'secret/data/missing')).toEqual({ status: 404, body: { errors: [] } });
    expect(seen.at(-1)!.headers['x-vault-token']).toBeUndefined();
  });

  it('reports a body that is not JSON as undefined', async () => {
    expect(await new HcvClient({ address, timeoutMs: 1000 }).call('GET', 'not-json')).toEqual({ status: 502, body: undefined });
  });

  it('names the address and the reason when Vault does not answer', async () => {
    const slow = new HcvClient({ address, timeoutMs: 50 }).call('GET', 'slow');
    await expect(slow).rejects.toBeInstanceOf(HcvUnreachableError);
    await expect(slow).rejects.toThrow(`cannot reach Vault at ${address.replace(/\/$/, '')}: no answer within 50 ms`);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(new HcvClient({ address: `http://127.0.0.1:${port}`, timeoutMs: 1000 }).call('GET', 'x')).rejects.toThrow(/ECONNREFUSED/);
  });

  it("formats Vault's error list and trims paths", () => {
    expect(errorsOf({ errors: ['permission denied', '', 3] })).toBe(': permission denied');
    expect(errorsOf(undefined)).toBe('');
    expect(trimPath('/secret/keygate/')).toBe('secret/keygate');
  });
});
