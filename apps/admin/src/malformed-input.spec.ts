import { AppProcess, rawRequest, useTestDatabase, type RawRequest } from '@keygate/testing';

/**
 * Inputs that used to reach PostgreSQL or express's decoder and come back as 500: each must be
 * a 400 that names the field or parameter, change nothing, and be named in the log.
 */
const database = useTestDatabase();
let admin: AppProcess;
let base: string;

beforeAll(async () => {
  admin = await AppProcess.start('admin', { env: database.get().env() });
  base = admin.url('admin');
});

afterAll(() => admin?.stop());

const send = (options: RawRequest) => rawRequest<{ message: string; fields?: unknown; code?: number }>(base, options);
const json = (method: string, path: string, body: string) => send({ method, path, body, headers: { 'content-type': 'application/json' } });
const rowCount = async () =>
  (await database.get().query<{ n: number }>('SELECT ((SELECT count(*) FROM consumers) + (SELECT count(*) FROM plugins) + (SELECT count(*) FROM routes))::int AS n'))[0]!.n;

async function expectRefused(res: { status: number; json: { message: string } | undefined }, message: RegExp | string) {
  expect(res.status).toBe(400);
  expect(res.json?.message).toEqual(typeof message === 'string' ? message : expect.stringMatching(message));
  // The refusal is in the log with what was refused (the field or parameter), at debug level.
  await admin.waitForLine((l) => l.includes('"request rejected"') && l.includes(JSON.stringify(res.json?.message).slice(1, -1)));
}

describe('malformed input answers 400, never 500', () => {
  let before: number;
  beforeAll(async () => {
    expect((await json('POST', '/consumers', '{"username":"alice"}')).status).toBe(201);
    expect((await json('POST', '/services', '{"name":"svc","url":"http://upstream.test"}')).status).toBe(201);
    before = await rowCount();
  });
  afterEach(async () => expect(await rowCount()).toBe(before));

  it('refuses a NUL byte in a JSON, form or multipart string field, naming the field', async () => {
    const nul = { code: 2, name: 'schema violation', message: 'schema violation (username: must not contain a NUL character)', fields: { username: 'must not contain a NUL character' } };
    expect((await json('POST', '/consumers', '{"username":"a\\u0000b"}')).json).toEqual(nul);
    const form = await send({ method: 'POST', path: '/consumers', body: 'username=a%00b', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form).toMatchObject({ status: 400, json: nul });
    const boundary = 'XBOUNDARY';
    const multipart = `--${boundary}\r\nContent-Disposition: form-data; name="username"\r\n\r\na\u0000b\r\n--${boundary}--\r\n`;
    expect((await send({ method: 'POST', path: '/consumers', body: multipart, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } })).json).toEqual(nul);
    await expectRefused(await json('PATCH', '/consumers/alice', '{"custom_id":"\\u0000"}'), 'schema violation (custom_id: must not contain a NUL character)');
    await expectRefused(await json('PUT', '/consumers/bob', '{"tags":["ok","x\\u0000"]}'), 'schema violation (tags.2: must not contain a NUL character)');
    const nested = await json('POST', '/plugins', '{"name":"key-auth","config":{"key_names":["apikey","a\\u0000"]}}');
    expect(nested.json).toMatchObject({ fields: { config: { key_names: [null, 'must not contain a NUL character'] } } });
    await expectRefused(await json('POST', '/consumers', '{"user\\u0000name":"x"}'), /^schema violation \(user\\u0000name: field name must not contain a NUL character\)$/);
  });

  it('refuses strings the database would store altered: lone surrogates and invalid UTF-8', async () => {
    await expectRefused(await json('POST', '/consumers', '{"username":"\\ud800"}'), 'schema violation (username: must be valid Unicode (lone surrogate))');
    const bytes = Buffer.concat([Buffer.from('{"username":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    await expectRefused(await send({ method: 'POST', path: '/consumers', body: bytes, headers: { 'content-type': 'application/json' } }), 'Cannot parse JSON body');
    const form = Buffer.concat([Buffer.from('username='), Buffer.from([0xc3, 0x28])]);
    await expectRefused(await send({ method: 'POST', path: '/consumers', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 'Cannot parse form body: invalid UTF-8');
  });

  it.each(['/consumers/%FF%FE', '/consumers/%E0%A4%A', '/consumers/%FF/key-auth', '/services/svc/routes/%C0%AF', '/keyring/%FF'])(
    'refuses malformed percent-encoding in the path %s, naming the segment',
    async (path) => {
      for (const method of ['GET', 'PATCH', 'PUT', 'DELETE']) {
        const res = await send({ method, path, ...(method === 'GET' || method === 'DELETE' ? {} : { body: '{}', headers: { 'content-type': 'application/json' } }) });
        expect([method, res.status]).toEqual([method, 400]);
        expect(res.json?.message).toMatch(/^Invalid path segment '%[0-9A-F%]+': malformed percent-encoding \(must be UTF-8\)$/);
      }
    },
  );

  it('refuses a NUL byte in the path and in query parameters', async () => {
    for (const method of ['GET', 'DELETE']) await expectRefused(await send({ method, path: '/consumers/a%00b' }), "Invalid path segment 'a%00b': must not contain a NUL character");
    await expectRefused(await json('PUT', '/consumers/a%00b', '{}'), "Invalid path segment 'a%00b': must not contain a NUL character");
    await expectRefused(await send({ path: '/consumers/alice/key-auth/x%00' }), "Invalid path segment 'x%00': must not contain a NUL character");
    await expectRefused(await send({ path: '/consumers?tags=a%00b' }), "Invalid query parameter 'tags': must not contain a NUL character");
    await expectRefused(await send({ path: '/consumers?x%00=1' }), "Invalid query parameter 'x\\u0000': must not contain a NUL character");
  });

  it('refuses an offset that is valid base64 of something other than an id, and bad sizes', async () => {
    for (const value of [['abc'], ['\u0000'], [1], 'text', ['6375b5fd-9c95-4822-b2dd-80ffbccb7ec9', 'x']]) {
      const offset = Buffer.from(JSON.stringify(value)).toString('base64');
      const res = await send({ path: `/consumers?offset=${encodeURIComponent(offset)}` });
      expect([value, res.status, res.json?.code]).toEqual([value, 400, 7]);
    }
    for (const size of ['abc', '0', '1001', '99999999999999999999999', '1e400', '-1', '2.5']) {
      const res = await send({ path: `/consumers?size=${size}` });
      expect([size, res.status, res.json?.code]).toEqual([size, 400, 9]);
    }
    expect((await send({ path: '/consumers?size=1&size=2' })).status).toBe(400);
    expect((await send({ path: '/services/svc/routes?offset=%2F%2F%2F%2F' })).json).toMatchObject({ code: 7 });
  });

  it('refuses arrays and scalars where objects are expected', async () => {
    for (const [path, body] of [
      ['/routes', '{"service":[1],"paths":["/a"]}'],
      ['/routes', '{"service":"svc","paths":["/a"]}'],
      ['/plugins', '{"name":"key-auth","config":[]}'],
      ['/plugins', '{"name":"key-auth","config":"x"}'],
      ['/consumers', '{"username":"x","tags":{"a":1}}'],
      ['/consumers', '{"username":["x"]}'],
      ['/consumers/alice/key-auth', '{"key":{"$gt":""}}'],
    ] as const) {
      const res = await json('POST', path, body);
      expect([path, body, res.status]).toEqual([path, body, 400]);
    }
  });

  it('answers non-uuid ids in nested paths with 404 or the invalid-primary-key error', async () => {
    expect((await send({ path: '/consumers/not-a-uuid/key-auth/not-a-uuid' })).status).toBe(404);
    expect((await send({ path: '/consumers/alice/key-auth/not-a-uuid' })).status).toBe(404);
    expect((await send({ path: '/key-auths/not-a-uuid' })).status).toBe(404);
    expect((await send({ path: '/key-auths/not-a-uuid/consumer' })).status).toBe(404);
    // key-auths are addressed by `key` too (as Kong): a PUT by key needs the consumer.
    expect((await json('PUT', '/key-auths/not-a-uuid', '{}')).json).toMatchObject({ code: 2, fields: { consumer: 'required field missing' } });
    // An entity with no key other than its id: Kong's code 1, for every method.
    const invalid = { code: 1, name: 'invalid primary key', message: `invalid primary key: '{id="expected a valid UUID"}'`, fields: { id: 'expected a valid UUID' } };
    for (const method of ['GET', 'DELETE', 'PATCH', 'PUT']) {
      const res = method === 'GET' || method === 'DELETE' ? await send({ method, path: '/certificates/not-a-uuid' }) : await json(method, '/certificates/not-a-uuid', '{}');
      expect([method, res.status, res.json]).toEqual([method, 400, invalid]);
    }
  });

  it('refuses very long strings with a 400 (the database refuses them for an index)', async () => {
    const res = await json('POST', '/consumers', JSON.stringify({ username: 'x'.repeat(500_000) }));
    expect(res.status).toBe(400);
    const tag = await json('POST', '/consumers', JSON.stringify({ username: 'long-tag', tags: ['t'.repeat(300_000)] }));
    expect(tag.status).toBe(400);
  });

  it('caps a multipart body in total, not only per field', async () => {
    const boundary = 'XBOUNDARY';
    const part = (name: string, size: number) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${'a'.repeat(size)}\r\n`;
    // Three fields each under the 1 MiB limit, 1.8 MiB together.
    const body = `${part('username', 600_000)}${part('custom_id', 600_000)}${part('tags[]', 600_000)}--${boundary}--\r\n`;
    const res = await send({ method: 'POST', path: '/consumers', body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
    expect(res).toMatchObject({ status: 413, json: { message: 'Request body too large' } });
    const many = `${Array.from({ length: 1001 }, (_, i) => part(`f${i}`, 1)).join('')}--${boundary}--\r\n`;
    expect((await send({ method: 'POST', path: '/consumers', body: many, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } })).status).toBe(413);
    // The node still serves after both.
    expect((await send({ path: '/consumers/alice' })).status).toBe(200);
  });

  it('never answered 500 to any of the above', () => {
    expect(admin.output).not.toContain('"status":500');
  });
});
