import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { silentLogger } from '@keygate/logging';
import { parseBody } from './body';
import { errorHandler } from './error-handler';
import { requestContext } from './request-context';

let server: Server;
let base: string;

beforeAll(async () => {
  const app = express();
  app.use(requestContext(silentLogger()));
  app.use(parseBody({ limit: 1024 }));
  app.post('/echo', (req, res) => {
    res.json({ kind: req.bodyKind, body: req.body });
  });
  app.use(errorHandler(silentLogger()));
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

const post = (body: RequestInit['body'], headers: Record<string, string> = {}) =>
  fetch(`${base}/echo`, { method: 'POST', body, headers }).then(async (res) => ({ status: res.status, json: await res.json() }));

describe('parseBody', () => {
  it('reads JSON objects', async () => {
    expect(await post('{"a":1}', { 'content-type': 'application/json' })).toEqual({ status: 200, json: { kind: 'json', body: { a: 1 } } });
  });

  it.each(['', '{bad', '[1,2]', '"text"'])("answers 400 Cannot parse JSON body for %j", async (body) => {
    expect(await post(body, { 'content-type': 'application/json' })).toEqual({ status: 400, json: { message: 'Cannot parse JSON body' } });
  });

  it("reads form bodies with Kong's nested keys", async () => {
    const form = 'name=key-auth&config.key_names[]=apikey&config.key_names[]=x-key&service.id=abc&paths=%2Fa';
    expect((await post(form, { 'content-type': 'application/x-www-form-urlencoded' })).json).toEqual({
      kind: 'form',
      body: { name: 'key-auth', config: { key_names: ['apikey', 'x-key'] }, service: { id: 'abc' }, paths: '/a' },
    });
  });

  it('reads multipart fields and files as text', async () => {
    const data = new FormData();
    data.append('username', 'bob');
    data.append('recovery_private_key', new Blob(['-----BEGIN PRIVATE KEY-----']), 'key.pem');
    expect((await post(data)).json).toEqual({ kind: 'form', body: { username: 'bob', recovery_private_key: '-----BEGIN PRIVATE KEY-----' } });
  });

  it('answers 415 for a body of another type, and 413 for one over the limit', async () => {
    expect((await post('<a/>', { 'content-type': 'application/xml' })).status).toBe(415);
    expect(await post(JSON.stringify({ big: 'x'.repeat(2048) }), { 'content-type': 'application/json' })).toEqual({
      status: 413,
      json: { message: 'Request body too large' },
    });
  });

  it('caps a multipart body in total: two parts each under the limit are 413 together', async () => {
    const data = new FormData();
    data.append('a', 'x'.repeat(600));
    data.append('b', 'y'.repeat(600));
    expect(await post(data)).toEqual({ status: 413, json: { message: 'Request body too large' } });
  });

  it('refuses invalid UTF-8 instead of storing U+FFFD', async () => {
    const bytes = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff]), Buffer.from('"}')]);
    expect((await post(bytes, { 'content-type': 'application/json' })).status).toBe(400);
    expect(await post(Buffer.from([0x61, 0x3d, 0xc3, 0x28]), { 'content-type': 'application/x-www-form-urlencoded' })).toEqual({
      status: 400,
      json: { message: 'Cannot parse form body: invalid UTF-8' },
    });
  });
});
