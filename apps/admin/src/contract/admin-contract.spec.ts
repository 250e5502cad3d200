import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { AppProcess, httpClient, REPO_ROOT, selfSignedCertificate, useTestDatabase, type Body, type HttpClient } from '@keygate/testing';
import { KONG_OSS_OPERATIONS } from './kong-operations';
import {
  BasicAuth,
  Certificate,
  Consumer,
  DaoError,
  Endpoints,
  Info,
  KeyAuth,
  Message,
  page,
  Plugin,
  Route,
  Schema,
  Service,
  Tag,
  Validated,
  Vault,
} from './kong-shapes';

/**
 * The Admin API held to Kong's contract: each case drives a real admin node and checks the
 * status and the body against Kong's shape for that endpoint (kong-shapes.ts). Cases run in
 * order and share what they create; a new endpoint is a few lines in the table.
 */
type Json = Record<string, unknown>;
type Ctx = Record<string, string>;

interface Case {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** `{name}` is replaced by `ctx[name]`. */
  readonly path: string;
  readonly body?: Json | ((ctx: Ctx) => Json) | { raw: string; type: string };
  readonly status: number;
  /** Kong's shape of the body; none for 204. */
  readonly shape?: z.ZodType;
  /** What the case must also hold (exact error bodies, pagination links). */
  readonly check?: (json: Json, ctx: Ctx) => void;
  /** Remembers values for later cases. */
  readonly save?: (json: Json, ctx: Ctx) => void;
}

const saveId = (name: string) => (json: Json, ctx: Ctx) => {
  ctx[name] = String(json.id);
};
const notFound = Message('Not found');
const tls = selfSignedCertificate('contract.test');

const CASES: readonly Case[] = [
  { method: 'GET', path: '/', status: 200, shape: Info },
  // consumers
  { method: 'POST', path: '/consumers', body: { username: 'alice', custom_id: 'c-1', tags: ['contract', 'gold'] }, status: 201, shape: Consumer, save: saveId('alice') },
  { method: 'POST', path: '/consumers', body: { username: 'bob', tags: ['contract'] }, status: 201, shape: Consumer },
  { method: 'POST', path: '/consumers', body: {}, status: 400, shape: DaoError(2, 'schema violation') },
  { method: 'POST', path: '/consumers', body: { username: 'alice' }, status: 409, shape: DaoError(5, 'unique constraint violation') },
  { method: 'POST', path: '/consumers', body: { raw: '{bad', type: 'application/json' }, status: 400, shape: Message('Cannot parse JSON body') },
  { method: 'GET', path: '/consumers', status: 200, shape: page(Consumer), check: (json) => expect(json.next).toBeNull() },
  {
    method: 'GET',
    path: '/consumers?size=1',
    status: 200,
    shape: page(Consumer),
    check: (json) => expect(json.next).toBe(`/consumers?offset=${encodeURIComponent(String(json.offset))}&size=1`),
  },
  { method: 'GET', path: '/consumers?custom_id=c-1', status: 200, shape: page(Consumer), check: (json) => expect(json).toMatchObject({ data: [{ username: 'alice' }], next: null }) },
  { method: 'GET', path: '/consumers?custom_id=none', status: 200, shape: page(Consumer), check: (json) => expect(json).toEqual({ data: [], next: null }) },
  { method: 'GET', path: '/consumers?tags=gold', status: 200, shape: page(Consumer), check: (json) => expect(json.data).toHaveLength(1) },
  { method: 'GET', path: '/consumers?tags=gold/contract', status: 200, shape: page(Consumer), check: (json) => expect(json.data).toHaveLength(2) },
  { method: 'GET', path: '/consumers?tags=a,b/c', status: 400, shape: DaoError(11, 'invalid options') },
  { method: 'GET', path: '/consumers?tags=', status: 400, shape: DaoError(11, 'invalid options'), check: (json) => expect(json.fields).toEqual({ tags: 'cannot be null' }) },
  { method: 'GET', path: '/consumers?tags=a,b,c,d,e,f', status: 400, shape: DaoError(11, 'invalid options') },
  // Kong's tags may hold a space (its own spec tags `corp_ a`).
  { method: 'POST', path: '/consumers', body: { username: 'dave', tags: ['corp_ a'] }, status: 201, shape: Consumer },
  { method: 'GET', path: '/consumers?tags=corp_%20a', status: 200, shape: page(Consumer), check: (json) => expect(json).toMatchObject({ data: [{ username: 'dave' }], next: null }) },
  { method: 'GET', path: '/consumers?size=x', status: 400, shape: DaoError(9, 'invalid size') },
  { method: 'GET', path: '/consumers?offset=x', status: 400, shape: DaoError(7, 'invalid offset') },
  { method: 'GET', path: '/consumers/alice', status: 200, shape: Consumer },
  { method: 'GET', path: '/consumers/{alice}', status: 200, shape: Consumer },
  { method: 'GET', path: '/consumers/nobody', status: 404, shape: notFound },
  { method: 'PATCH', path: '/consumers/alice', body: { custom_id: 'c-2' }, status: 200, shape: Consumer },
  { method: 'PUT', path: '/consumers/carol', body: {}, status: 200, shape: Consumer },
  { method: 'DELETE', path: '/consumers', status: 405, shape: Message('Method not allowed') },
  // services, routes, plugins
  { method: 'POST', path: '/services', body: { name: 'svc', url: 'http://example.test:8080/api', tags: ['contract'] }, status: 201, shape: Service },
  { method: 'GET', path: '/services/svc', status: 200, shape: Service },
  { method: 'GET', path: '/services', status: 200, shape: page(Service) },
  { method: 'POST', path: '/services/svc/routes', body: { name: 'r1', paths: ['/r1'] }, status: 201, shape: Route },
  { method: 'GET', path: '/services/svc/routes', status: 200, shape: page(Route) },
  { method: 'GET', path: '/routes/r1/service', status: 200, shape: Service },
  { method: 'PATCH', path: '/routes/r1', body: { paths: ['/r2'] }, status: 200, shape: Route },
  { method: 'DELETE', path: '/services/svc', status: 400, shape: DaoError(4, 'foreign key violation') },
  { method: 'POST', path: '/services/svc/plugins', body: { name: 'key-auth' }, status: 201, shape: Plugin },
  { method: 'POST', path: '/plugins', body: { name: 'no-such-plugin' }, status: 400, shape: DaoError(2, 'schema violation') },
  { method: 'GET', path: '/plugins', status: 200, shape: page(Plugin) },
  { method: 'GET', path: '/services/svc/plugins', status: 200, shape: page(Plugin) },
  // key-auth credentials, addressed by id or by key
  { method: 'POST', path: '/consumers/alice/key-auth', body: { key: 'contract-key-1' }, status: 201, shape: KeyAuth, save: saveId('keyAuth') },
  { method: 'GET', path: '/consumers/alice/key-auth/contract-key-1', status: 200, shape: KeyAuth },
  { method: 'GET', path: '/key-auths/contract-key-1', status: 200, shape: KeyAuth, check: (json, ctx) => expect(json.id).toBe(ctx.keyAuth) },
  { method: 'GET', path: '/key-auths/{keyAuth}', status: 200, shape: KeyAuth },
  { method: 'GET', path: '/key-auths/contract-key-1/consumer', status: 200, shape: Consumer },
  { method: 'GET', path: '/consumers/bob/key-auth/contract-key-1', status: 404, shape: notFound },
  { method: 'PATCH', path: '/key-auths/contract-key-1', body: { tags: ['contract'] }, status: 200, shape: KeyAuth },
  { method: 'GET', path: '/key-auths', status: 200, shape: page(KeyAuth) },
  { method: 'DELETE', path: '/consumers/alice/key-auth/contract-key-1', status: 204 },
  { method: 'GET', path: '/key-auths/contract-key-1', status: 404, shape: notFound },
  // basic-auth credentials
  { method: 'POST', path: '/consumers/alice/basic-auth', body: { username: 'alice-ba', password: 'pw' }, status: 201, shape: BasicAuth },
  { method: 'GET', path: '/basic-auths/alice-ba', status: 200, shape: BasicAuth },
  // vaults
  { method: 'POST', path: '/vaults', body: { prefix: 'contract-env', name: 'env', config: { prefix: 'CONTRACT_' } }, status: 201, shape: Vault },
  { method: 'GET', path: '/vaults/contract-env', status: 200, shape: Vault },
  { method: 'PUT', path: '/vaults/env', body: { name: 'env' }, status: 400, shape: DaoError(10, 'invalid unique prefix') },
  // certificates: no key but the id, so a malformed id is Kong's code 1
  { method: 'POST', path: '/certificates', body: { cert: tls.cert, key: tls.key, tags: ['contract'] }, status: 201, shape: Certificate, save: saveId('cert') },
  { method: 'GET', path: '/certificates/{cert}', status: 200, shape: Certificate },
  ...(['GET', 'DELETE', 'PATCH', 'PUT'] as const).map(
    (method): Case => ({
      method,
      path: '/certificates/not-a-uuid',
      ...(method === 'PATCH' || method === 'PUT' ? { body: {} } : {}),
      status: 400,
      shape: DaoError(1, 'invalid primary key'),
      check: (json) => expect(json).toEqual({ code: 1, name: 'invalid primary key', message: `invalid primary key: '{id="expected a valid UUID"}'`, fields: { id: 'expected a valid UUID' } }),
    }),
  ),
  // tags
  { method: 'GET', path: '/tags', status: 200, shape: page(Tag) },
  {
    method: 'GET',
    path: '/tags/contract',
    status: 200,
    shape: page(Tag),
    check: (json) => {
      const rows = json.data as Array<z.infer<typeof Tag>>;
      expect(rows.every((row) => row.tag === 'contract')).toBe(true);
      expect(new Set(rows.map((row) => row.entity_name))).toEqual(new Set(['consumers', 'services', 'certificates']));
    },
  },
  {
    method: 'GET',
    path: '/tags/contract?size=2',
    status: 200,
    shape: page(Tag),
    check: (json) => expect(json.next).toBe(`/tags/contract?offset=${encodeURIComponent(String(json.offset))}&size=2`),
  },
  { method: 'GET', path: '/tags/corp_%20a', status: 200, shape: page(Tag), check: (json) => expect(json).toMatchObject({ data: [{ entity_name: 'consumers', tag: 'corp_ a' }], next: null }) },
  {
    method: 'GET',
    path: '/tags/a,b',
    status: 400,
    shape: DaoError(10, 'invalid unique tag'),
    check: (json) => expect(json.message).toBe("invalid tag 'a,b': expected printable ascii (except `,` and `/`) or valid utf-8 sequences"),
  },
  { method: 'GET', path: '/tags/no-such-tag', status: 200, shape: page(Tag), check: (json) => expect(json).toEqual({ data: [], next: null }) },
  // schemas
  { method: 'GET', path: '/schemas/consumers', status: 200, shape: Schema, check: (json) => expect(json.entity_checks).toEqual([{ at_least_one_of: ['custom_id', 'username'] }]) },
  { method: 'GET', path: '/schemas/keyauth_credentials', status: 200, shape: Schema },
  { method: 'GET', path: '/schemas/routes', status: 200, shape: Schema },
  { method: 'GET', path: '/schemas/no_such_entity', status: 404, shape: Message("No entity named 'no_such_entity'") },
  { method: 'POST', path: '/schemas/consumers/validate', body: { username: 'x' }, status: 200, shape: Validated },
  { method: 'POST', path: '/schemas/consumers/validate', body: {}, status: 400, shape: DaoError(2, 'schema violation') },
  {
    method: 'GET',
    path: '/schemas/plugins/key-auth',
    status: 200,
    shape: Schema,
    check: (json) => expect(json.fields).toContainEqual({ consumer: { type: 'foreign', reference: 'consumers', eq: null } }),
  },
  { method: 'GET', path: '/schemas/plugins/no-such-plugin', status: 404, shape: Message("No plugin named 'no-such-plugin'") },
  { method: 'POST', path: '/schemas/plugins/validate', body: { name: 'key-auth' }, status: 200, shape: Validated },
  { method: 'POST', path: '/schemas/plugins/validate', body: {}, status: 400, shape: DaoError(2, 'schema violation') },
  { method: 'GET', path: '/schemas/vaults/env', status: 200, shape: Schema },
  { method: 'GET', path: '/schemas/vaults/no-such-vault', status: 404, shape: Message("No vault named 'no-such-vault'") },
  { method: 'POST', path: '/schemas/vaults/validate', body: { prefix: 'my-env', name: 'env' }, status: 200, shape: Validated },
  // the list of paths
  {
    method: 'GET',
    path: '/endpoints',
    status: 200,
    shape: Endpoints,
    check: (json) => expect(json.data).toEqual(expect.arrayContaining(['/', '/consumers/{consumers}/key-auth/{keyauth_credentials}', '/endpoints', '/schemas/{name}', '/tags/{tags}'])),
  },
  // deletes
  { method: 'DELETE', path: '/routes/r1', status: 204 },
  { method: 'DELETE', path: '/services/svc', status: 204 },
  { method: 'DELETE', path: '/consumers/bob', status: 204 },
  { method: 'DELETE', path: '/consumers/bob', status: 204 },
  { method: 'GET', path: '/no-such-path', status: 404, shape: notFound },
];

const database = useTestDatabase();
let admin: AppProcess;
let api: HttpClient;
let base: string;
const ctx: Ctx = {};

beforeAll(async () => {
  admin = await AppProcess.start('admin', { env: database.get().env() });
  base = admin.url('admin');
  api = httpClient(base);
});

afterAll(() => admin?.stop());

function bodyOf(c: Case): Body | undefined {
  if (c.body === undefined) return undefined;
  if (typeof c.body === 'function') return { json: c.body(ctx) };
  if ('raw' in c.body && typeof c.body.raw === 'string' && typeof c.body.type === 'string') return { raw: c.body.raw, type: c.body.type };
  return { json: c.body };
}

describe("the Admin API against Kong's contract", () => {
  for (const c of CASES) {
    it(`${c.method} ${c.path} answers ${c.status} in Kong's shape`, async () => {
      const path = c.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(ctx[name] ?? name));
      const res = await api.request<Json>(c.method, path, bodyOf(c));
      expect([c.method, path, res.status, res.status === c.status ? '' : res.text]).toEqual([c.method, path, c.status, '']);
      if (c.shape) {
        const parsed = c.shape.safeParse(res.json);
        expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
      } else {
        expect(res.text).toBe('');
      }
      c.check?.(res.json, ctx);
      c.save?.(res.json, ctx);
    });
  }

  it('states in docs/admin-api.md how many of Kong OSS 3.9 operations it serves', async () => {
    const served = new Set(((await api.get<{ data: string[] }>('/endpoints')).json.data).map(normalize));
    let covered = 0;
    for (const [method, path] of KONG_OSS_OPERATIONS) {
      if (!served.has(normalize(path))) continue;
      // OPTIONS answers with the methods the path serves, as Kong's does.
      const options = await api.request('OPTIONS', path.replace(/\{[^}]+\}/g, 'x'));
      const allowed = (options.headers.get('allow') ?? '').split(/,\s*/);
      if (allowed.includes(method)) covered += 1;
    }
    const total = KONG_OSS_OPERATIONS.length;
    const line = `Keygate serves **${covered} of the ${total} operations** (${Math.round((covered * 100) / total)} %) of Kong's published Admin API description for gateway OSS 3.9.`;
    const docs = readFileSync(join(REPO_ROOT, 'docs', 'admin-api.md'), 'utf8');
    // The figure in the docs is the one computed here: replace the line when this fails.
    expect(docs.split('\n').find((l) => l.startsWith('Keygate serves **'))).toBe(line);
  });
});

/** `/consumers/{consumer_username_or_id}` and `/consumers/{consumers}` are the same path. */
function normalize(path: string): string {
  return path.replace(/\{[^}]+\}/g, '{}');
}
