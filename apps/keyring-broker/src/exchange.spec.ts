import { randomBytes, randomUUID } from 'node:crypto';
import { encryptField, newDataKey, rsaOaepEncrypt, Secret } from '@keygate/crypto';
import { AppProcess, httpClient, useTestDatabase, type AppName } from '@keygate/testing';
import { createPublicKey } from 'node:crypto';

const database = useTestDatabase();
const secret = randomBytes(24).toString('base64url');
const nodes: AppProcess[] = [];

const env = (extra: Record<string, string> = {}) => ({
  ...database.get().env(),
  KONG_KEYRING_ENABLED: 'on',
  KONG_KEYRING_CLUSTER_SECRET: secret,
  KONG_KEYRING_FETCH_TIMEOUT: '2s',
  ...extra,
});

async function start(app: AppName, extra: Record<string, string> = {}): Promise<AppProcess> {
  const node = await AppProcess.start(app, { env: env(extra) });
  nodes.push(node);
  return node;
}

interface KeyringStatus {
  ids: string[];
  active: string | null;
  members_seen?: number;
}

async function keyringOf(node: AppProcess): Promise<KeyringStatus> {
  const status = (await (await fetch(`${node.url('status')}/status`)).json()) as { keyring: KeyringStatus; node_id: string };
  return status.keyring;
}

async function eventually<T>(what: string, probe: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    last = await probe();
  }
  return last;
}

const convergedOn = (active: string) => (s: KeyringStatus) => s.active === active && s.ids.includes(active);

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
});

describe('cluster keyring exchange', () => {
  let admin: AppProcess;
  let broker: AppProcess;
  const members: AppProcess[] = [];

  it('gives every member the keyring at start, and converges on each rotation', async () => {
    admin = await start('admin');
    broker = await start('keyring-broker');
    for (let i = 0; i < 3; i++) members.push(await start('keyring-broker'));
    const api = httpClient(admin.url('admin'));
    const first = (await api.get<{ active: string }>('/keyring')).json.active;
    for (const node of [broker, ...members]) await eventually('member got the first key', () => keyringOf(node), convergedOn(first));

    for (let round = 0; round < 3; round++) {
      const generated = (await api.post<{ id: string }>('/keyring/generate')).json;
      expect((await api.post('/keyring/activate', { form: { key: generated.id } })).status).toBe(204);
      for (const node of [broker, ...members]) await eventually(`member applied rotation ${round}`, () => keyringOf(node), convergedOn(generated.id), 5000);
    }
    // Members record their view in their rows a moment after applying a change.
    const view = await eventually('members recorded the rotation', async () => (await api.get<{ members: Array<{ app: string; active: string }> }>('/keyring')).json, (v) => new Set(v.members.map((m) => m.active)).size === 1);
    expect(view.members).toHaveLength(5);
  });

  it("reports each member's convergence lag and the active key's age in /metrics, read a moment after the activation", async () => {
    const gauge = async (node: AppProcess, name: string) => {
      const line = (await (await fetch(`${node.url('status')}/metrics`)).text()).split('\n').find((l) => l.startsWith(`${name} `));
      return line === undefined ? undefined : Number(line.split(' ')[1]);
    };
    for (const node of [broker, ...members]) {
      const lag = await eventually('convergence lag measured', () => gauge(node, 'keygate_keyring_convergence_lag_seconds'), (v) => v !== undefined);
      // From the commit to this member applying it: well under a second here, never negative.
      expect(lag).toBeGreaterThanOrEqual(0);
      expect(lag).toBeLessThan(5);
      expect(await gauge(node, 'keygate_keyring_active_key_age_seconds')).toBeGreaterThanOrEqual(0);
    }
  });

  it('a member started later gets the keyring from whoever is up, even after the broker is killed', async () => {
    const active = (await keyringOf(admin)).active as string;
    broker.signal('SIGKILL');
    await broker.exited;
    await admin.stop(); // only the stand-in proxies hold the keys now
    const late = await start('keyring-broker');
    // The active key comes first (asked for at start), the others with the first resync.
    const all = (await keyringOf(members[0]!)).ids;
    const got = await eventually('late member got keys', () => keyringOf(late), (s) => convergedOn(active)(s) && s.ids.length === all.length);
    expect(got.ids).toEqual(all);
    admin = await start('admin');
    await eventually('restarted admin got keys from members', () => keyringOf(admin), convergedOn(active));
  });

  it('converges after a member loses its LISTEN connection during a rotation', async () => {
    const api = httpClient(admin.url('admin'));
    const victim = members[1]!;
    const generated = (await api.post<{ id: string }>('/keyring/generate')).json;
    // Every broker's LISTEN connection is cut (they share an application_name), the victim included.
    const cut = await database.get().query<{ n: number }>(
      "SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'keygate-keyring-broker-listen'",
    );
    expect(cut[0]!.n).toBeGreaterThanOrEqual(members.length);
    await api.post('/keyring/activate', { form: { key: generated.id } });
    for (const node of [admin, ...members]) await eventually('converged after reconnect', () => keyringOf(node), convergedOn(generated.id), 15_000);
    await victim.waitForLine((line) => line.includes('bus: LISTEN connection lost'));
  });

  it('sends nothing to a member without the cluster secret, and logs it as refused', async () => {
    const rogue = await start('keyring-broker', { KONG_KEYRING_CLUSTER_SECRET: 'not-the-secret' });
    const rogueId = ((await (await fetch(`${rogue.url('status')}/status`)).json()) as { node_id: string }).node_id;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await keyringOf(rogue)).ids).toEqual([]);
    expect(await database.get().query('SELECT count(*)::int AS n FROM keyring_envelopes WHERE recipient_node_id = $1', [rogueId])).toEqual([{ n: 0 }]);
    const refusers = [admin, ...members].filter((n) => n.output.includes('refused a message on the keyring channel (not admitted)'));
    expect(refusers.length).toBeGreaterThan(0);
    await rogue.stop();
  });

  it('rejects an envelope whose signature does not verify', async () => {
    const target = members[2]!;
    const targetId = ((await (await fetch(`${target.url('status')}/status`)).json()) as { node_id: string }).node_id;
    const adminId = ((await (await fetch(`${admin.url('status')}/status`)).json()) as { node_id: string }).node_id;
    const [row] = await database.get().query<{ public_key: string }>('SELECT public_key FROM cluster_nodes WHERE node_id = $1', [targetId]);
    const forged = rsaOaepEncrypt(createPublicKey(row!.public_key), newDataKey()).toString('base64');
    const id = randomUUID();
    await database.get().query(
      `INSERT INTO keyring_envelopes (id, recipient_node_id, sender_node_id, key_id, wrapped_key, signature, expires_at)
       VALUES ($1, $2, $3, 'forged01', $4, $5, now() + interval '5 minutes')`,
      [id, targetId, adminId, forged, randomBytes(256).toString('base64')],
    );
    // Unsigned, so refused at the door: the member finds the envelope at its next resync with the
    // tables (every 10 s), not at this notification.
    await database.get().query("SELECT pg_notify('keygate_keyring', $1)", [JSON.stringify({ type: 'envelopes', to: targetId, ids: [id] })]);
    await target.waitForLine((line) => line.includes('rejected an envelope') && line.includes(id), 15_000);
    expect((await keyringOf(target)).ids).not.toContain('forged01');
    // Deleted right after the rejection is logged.
    await eventually('rejected envelope deleted', () => database.get().query('SELECT id FROM keyring_envelopes WHERE id = $1', [id]), (rows) => rows.length === 0);
  });

  it('does not ask peers for a key id the cluster never had (a row a database writer planted), nor again right after nobody sent one', async () => {
    const api = httpClient(admin.url('admin'));
    const consumer = (await api.post<{ id: string }>('/consumers', { form: { username: 'planted-user' } })).json;
    const planted = { id: 'madeUp01', key: new Secret(newDataKey()) };
    const credId = randomUUID();
    const value = encryptField('da61c0083b6d19ef3db2490d0da96a71572da0fa', planted, { table: 'basicauth_credentials', field: 'password', id: credId });
    await database.get().query("INSERT INTO basicauth_credentials (id, created_at, consumer_id, username, password) VALUES ($1, now(), $2, 'planted', $3)", [credId, consumer.id, value]);
    for (let i = 0; i < 3; i++) expect((await api.get(`/basic-auths/${credId}`)).status).toBe(503);
    expect(admin.output).not.toContain('no peer sent key madeUp01');
  });

  it('fails only the requests needing a key no live member has, with a clear 503 within keyring_fetch_timeout', async () => {
    const api = httpClient(admin.url('admin'));
    const consumer = (await api.post<{ id: string }>('/consumers', { form: { username: 'ghost-user' } })).json;
    const ghost = { id: 'ghostKey', key: new Secret(newDataKey()) };
    const credId = randomUUID();
    await database.get().query("INSERT INTO keyring_meta (id, state) VALUES ('ghostKey', 'alive')");
    const value = encryptField('da61c0083b6d19ef3db2490d0da96a71572da0fa', ghost, { table: 'basicauth_credentials', field: 'password', id: credId });
    await database.get().query("INSERT INTO basicauth_credentials (id, created_at, consumer_id, username, password) VALUES ($1, now(), $2, 'ghost', $3)", [credId, consumer.id, value]);
    const started = Date.now();
    const res = await api.get<{ message: string }>(`/basic-auths/${credId}`);
    const took = Date.now() - started;
    expect(res.status).toBe(503);
    expect(res.json.message).toContain(`basicauth_credentials row ${credId}: its password is encrypted with key ghostKey, which this node does not hold`);
    expect(took).toBeGreaterThanOrEqual(1500);
    expect(took).toBeLessThan(6000);
    expect((await api.get('/consumers/ghost-user')).status).toBe(200);
    // Asked once: the next read does not wait for peers again.
    expect((await api.get(`/basic-auths/${credId}`)).status).toBe(503);
    expect(admin.output.split('no peer sent key ghostKey').length - 1).toBe(1);
  });
});
