import type pg from 'pg';
import { AppProcess, httpClient, plantedSecret, rsaKeyFiles, useTestDatabase, type HttpClient } from '@keygate/testing';

/**
 * An attacker with a leaked database login rewrites encrypted values. The rows they touch must
 * not take the Admin API down (a list answers with the other rows), must not be served, must be
 * named in the log (table, row, key id; never a value), and must stay removable.
 */
const database = useTestDatabase();
const rsa = rsaKeyFiles();
let admin: AppProcess;
let api: HttpClient;
let attacker: pg.Client;

type KeyAuth = { id: string; key: string; tags?: string[] | null };
const keys = [plantedSecret('key-a'), plantedSecret('key-b'), plantedSecret('key-c'), plantedSecret('key-d')];
let rows: KeyAuth[];
let activeKey: string;

beforeAll(async () => {
  admin = await AppProcess.start('admin', {
    env: { ...database.get().env(), KONG_KEYRING_ENABLED: 'on', KONG_KEYRING_RECOVERY_PUBLIC_KEY: rsa.publicPath },
  });
  api = httpClient(admin.url('admin'));
  attacker = await database.get().attacker({ tables: 'write' });
  activeKey = (await api.get<{ active: string }>('/keyring')).json.active;
  expect((await api.post('/consumers', { json: { username: 'bob' } })).status).toBe(201);
  rows = [];
  for (const key of keys) rows.push((await api.post<KeyAuth>('/consumers/bob/key-auth', { json: { key } })).json);
  rows.sort((a, b) => (a.id < b.id ? -1 : 1));
});

afterAll(() => admin?.stop());

const stored = async (id: string) => (await attacker.query<{ key: string }>('SELECT key FROM keyauth_credentials WHERE id = $1', [id])).rows[0]?.key;
/** One hex digit of the ciphertext changed: the GCM tag no longer verifies. */
const flip = (value: string) => value.slice(0, -3) + (value.at(-3) === 'a' ? 'b' : 'a') + value.slice(-2);
const listed = async (path: string) => {
  const res = await api.get<{ data: KeyAuth[] }>(path);
  expect(res.status).toBe(200);
  return res.json.data.map((row) => row.id).sort();
};

describe('rows tampered with in the database', () => {
  let tampered: KeyAuth;
  let foreign: KeyAuth;

  beforeAll(async () => {
    [, tampered, foreign] = rows as [KeyAuth, KeyAuth, KeyAuth, KeyAuth];
    await attacker.query('UPDATE keyauth_credentials SET key = $1 WHERE id = $2', [flip((await stored(tampered.id))!), tampered.id]);
    // A well-formed value under a key id nobody holds.
    const [, , nonce, body] = (await stored(foreign.id))!.split('-') as [string, string, string, string];
    await attacker.query('UPDATE keyauth_credentials SET key = $1 WHERE id = $2', [`$ke$2$-ZZZZZZZZ-${nonce}-${body}`, foreign.id]);
  });

  it('a collection GET answers 200 with the readable rows and logs a warning naming table, rows and key ids', async () => {
    const readable = rows.filter((r) => r !== tampered && r !== foreign).map((r) => r.id).sort();
    expect(await listed('/key-auths')).toEqual(readable);
    expect(await listed('/consumers/bob/key-auth')).toEqual(readable);
    const res = await api.get<{ data: KeyAuth[] }>('/key-auths');
    for (const row of res.json.data) expect(row.key).toBe(rows.find((r) => r.id === row.id)!.key);
    const line = await admin.waitForLine((l) => l.includes('list skipped rows') && l.includes(tampered.id) && l.includes(foreign.id));
    expect(JSON.parse(line)).toMatchObject({
      level: 'warn',
      table: 'keyauth_credentials',
      rows: expect.arrayContaining([
        { table: 'keyauth_credentials', row_id: tampered.id, field: 'key', key_id: activeKey, code: 'ROW_TAMPERED' },
        { table: 'keyauth_credentials', row_id: foreign.id, field: 'key', key_id: 'ZZZZZZZZ', code: 'ROW_KEY_NOT_AVAILABLE' },
      ]),
    });
  });

  it('pages through every readable row when skipped rows end a page', async () => {
    const seen: string[] = [];
    let next: string | null = '/key-auths?size=1';
    for (let i = 0; next && i < 10; i++) {
      const page: { data: KeyAuth[]; next: string | null } = (await api.get<{ data: KeyAuth[]; next: string | null }>(next)).json;
      seen.push(...page.data.map((r) => r.id));
      next = page.next;
    }
    expect(next).toBeNull();
    expect(seen.sort()).toEqual(rows.filter((r) => r !== tampered && r !== foreign).map((r) => r.id).sort());
  });

  it('GET by id of a tampered row is 409 naming the row and key id; of a row under an unknown key 503; never the value', async () => {
    const bad = await api.get<{ message: string }>(`/key-auths/${tampered.id}`);
    expect(bad.status).toBe(409);
    expect(bad.json).toEqual({
      message: `keyauth_credentials row ${tampered.id}: its key (key ${activeKey}) failed authentication: it was changed outside Keygate; give the row a new key (PATCH) or delete it`,
    });
    const unknown = await api.get<{ message: string }>(`/consumers/bob/key-auth/${foreign.id}`);
    expect(unknown.status).toBe(503);
    expect(unknown.json.message).toMatch(new RegExp(`^keyauth_credentials row ${foreign.id}: its key is encrypted with key ZZZZZZZZ, which this node does not hold`));
    for (const key of keys) expect(bad.text + unknown.text).not.toContain(key);
  });

  it('a PATCH that changes another field leaves the row unreadable; one that sets a new key repairs it', async () => {
    expect((await api.patch(`/key-auths/${tampered.id}`, { json: { tags: ['x'] } })).status).toBe(409);
    const fresh = plantedSecret('repaired');
    const repaired = await api.patch<KeyAuth>(`/key-auths/${tampered.id}`, { json: { key: fresh } });
    expect(repaired.status).toBe(200);
    expect(repaired.json.key).toBe(fresh);
    expect((await stored(tampered.id))!).toMatch(new RegExp(`^\\$ke\\$2\\$-${activeKey}-`));
    expect((await api.get<KeyAuth>(`/key-auths/${tampered.id}`)).json.key).toBe(fresh);
  });

  it('DELETE by id removes an unreadable row (top-level and nested)', async () => {
    const last = rows[3]!;
    await attacker.query('UPDATE keyauth_credentials SET key = $1 WHERE id = $2', [flip((await stored(last.id))!), last.id]);
    expect((await api.delete(`/consumers/bob/key-auth/${last.id}`)).status).toBe(204);
    expect((await api.delete(`/key-auths/${foreign.id}`)).status).toBe(204);
    const left = await database.get().query<{ id: string }>('SELECT id FROM keyauth_credentials ORDER BY id');
    expect(left.map((r) => r.id)).toEqual([rows[0]!.id, tampered.id].sort());
    expect((await api.get(`/key-auths/${foreign.id}`)).status).toBe(404);
  });

  it('answered no request with 500', () => {
    expect(admin.output).not.toContain('"status":500');
  });
});
