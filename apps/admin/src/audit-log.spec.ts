import { AppProcess, httpClient, plantedSecret, redisPrefix, runCli, useTestDatabase, type HttpClient } from '@keygate/testing';

const database = useTestDatabase();
const clusterSecret = plantedSecret('cluster-secret');
const password = plantedSecret('kong-password');
const planted: string[] = [clusterSecret, password];
const nodes: AppProcess[] = [];
let api: HttpClient;
jest.setTimeout(180_000);

const env = () => ({
  ...database.get().env(),
  KONG_ENFORCE_RBAC: 'on',
  KONG_AUDIT_LOG: 'on',
  KONG_KEYRING_ENABLED: 'on',
  KONG_KEYRING_CLUSTER_SECRET: clusterSecret,
  KONG_REDIS_PREFIX: redisPrefix(),
});

type Row = Record<string, unknown>;
const objects = async (): Promise<Row[]> => (await api.get<{ data: Row[] }>('/audit/objects?size=1000')).json.data;
const verify = () => runCli(['audit', 'verify'], { env: env() });

async function until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  await runCli(['migrations', 'up'], { env: { ...env(), KONG_PASSWORD: password } });
  nodes.push(await AppProcess.start('admin', { env: env() }), await AppProcess.start('keyring-broker', { env: env() }));
  api = httpClient((nodes[0] as AppProcess).url('admin'), { 'Kong-Admin-Token': password });
});
afterAll(() => Promise.all(nodes.map((n) => n.stop())));

describe('audit log', () => {
  it('records a keyring rotation: generate, activate, then the re-encryption start and finish on the broker', async () => {
    const generated = await api.post<{ id: string; key: string }>('/keyring/generate');
    expect(generated.status).toBe(201);
    planted.push(generated.json.key);
    expect((await api.post('/keyring/activate', { form: { key: generated.json.id } })).status).toBe(204);
    const rows = await until(async () => {
      const all = await objects();
      return all.some((r) => r.operation === 'reencrypt-finish') ? all : undefined;
    }, 'the re-encryption to finish');
    const keyring = rows.filter((r) => r.dao_name === 'keyring').reverse();
    expect(keyring.map((r) => r.operation)).toEqual(expect.arrayContaining(['generate', 'activate', 'reencrypt-start', 'reencrypt-finish']));
    const activate = keyring.find((r) => r.operation === 'activate') as Row;
    expect(activate).toMatchObject({ entity_key: generated.json.id, rbac_user_id: expect.any(String), request_id: expect.any(String) });
    const requests = (await api.get<{ data: Row[] }>('/audit/requests')).json.data;
    expect(requests.find((r) => r.request_id === activate.request_id)).toMatchObject({ method: 'POST', path: '/keyring/activate', status: 204, rbac_user_name: 'kong_admin' });
    expect(keyring.find((r) => r.operation === 'reencrypt-finish')).toMatchObject({ request_id: null, entity: expect.stringContaining('"state":"done"') });
  });

  it('records entity changes and refused requests, and no secret value anywhere', async () => {
    const key = plantedSecret('key-auth-key');
    const basicPassword = plantedSecret('basic-password');
    planted.push(key, basicPassword);
    expect((await api.post('/consumers', { json: { username: 'alice' } })).status).toBe(201);
    expect((await api.post('/consumers/alice/key-auth', { json: { key } })).status).toBe(201);
    expect((await api.post('/consumers/alice/basic-auth', { form: { username: 'alice', password: basicPassword } })).status).toBe(201);
    const token = plantedSecret('ci-token');
    planted.push(token);
    expect((await api.post('/rbac/users', { json: { name: 'ci', user_token: token } })).status).toBe(201);
    expect((await httpClient((nodes[0] as AppProcess).url('admin'), { 'Kong-Admin-Token': token }).delete('/consumers/alice')).status).toBe(403);
    expect((await httpClient((nodes[0] as AppProcess).url('admin'), { 'Kong-Admin-Token': plantedSecret('wrong') }).get('/consumers')).status).toBe(401);

    const rows = await until(async () => {
      const all = (await api.get<{ data: Row[] }>('/audit/requests?size=1000')).json.data;
      return all.some((r) => r.status === 401) ? all : undefined;
    }, 'the refused request to be recorded');
    expect(rows.find((r) => r.status === 403)).toMatchObject({ method: 'DELETE', path: '/consumers/alice', rbac_user_name: 'ci' });
    expect((await objects()).map((r) => `${r.dao_name} ${r.operation}`)).toEqual(expect.arrayContaining(['consumers create', 'keyauth_credentials create', 'basicauth_credentials create']));

    const everything = JSON.stringify([
      ...(await database.get().query('SELECT row_to_json(t)::text AS r FROM audit_requests t')),
      ...(await database.get().query('SELECT row_to_json(t)::text AS r FROM audit_objects t')),
      ...(await database.get().query('SELECT row_to_json(t)::text AS r FROM audit_heads t')),
    ]);
    for (const value of planted) expect(everything).not.toContain(value);
    expect(everything).toContain('alice');
  });

  it('keygate audit verify passes on an intact log and names an edited, a deleted and an inserted row', async () => {
    const ok = await verify();
    expect(ok.stdout).toMatch(/requests: \d+ record\(s\).*: OK/);
    expect(ok.code).toBe(0);
    const db = database.get();
    await db.query("UPDATE audit_requests SET status = 200 WHERE seq = 2");
    await db.query('DELETE FROM audit_objects WHERE seq = 3');
    await db.query("INSERT INTO audit_objects SELECT seq + 1000, gen_random_uuid(), request_id, request_timestamp, entity_key, dao_name, operation, entity, removed_from_entity, rbac_user_id, signature, expire, prev_hash, hash FROM audit_objects WHERE seq = 1");
    const failed = await verify();
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('row 2 was changed');
    expect(failed.stdout).toContain('row 3 is missing (deleted)');
    expect(failed.stdout).toContain('outside the chain');
  });

  it('a truncated chain (last rows and head rolled back) is detected', async () => {
    const db = database.get();
    await db.query("UPDATE audit_heads SET last_seq = last_seq - 1 WHERE chain = 'requests'");
    const failed = await verify();
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('the chain head fails its MAC');
  });
});
