import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { AppProcess, plantedSecret, useTestDatabase } from '@keygate/testing';
import { call, Cluster, echoServer, eventually } from '../test/harness';

/**
 * Plays an attacker who holds only a database login (a role with CONNECT: it can LISTEN and
 * NOTIFY on every channel; with a leaked application credential it can also edit rows) against a
 * cluster of admin, keyring broker and two proxies. Each test is an attack that worked before
 * the bus carried only hints: it asserts that nothing changed, nothing was served wrongly, and
 * that the logs name what was refused.
 */
const database = useTestDatabase();
const secret = plantedSecret('cluster-secret');
let echo: Awaited<ReturnType<typeof echoServer>>;
let cluster: Cluster;
let broker: AppProcess;
let listener: pg.Client;
let writer: pg.Client;
const victimKey = plantedSecret('victim-key');

type NodeKeyring = { ids: string[]; active: string | null };
const statusOf = async (node: AppProcess) => (await (await fetch(`${node.url('status')}/status`)).json()) as { node_id: string; keyring: NodeKeyring };
const nodes = () => [cluster.admin, broker, ...cluster.proxies];
const keyrings = async () => Promise.all(nodes().map(async (n) => (await statusOf(n)).keyring));
const notify = (client: pg.Client, channel: string, payload: unknown) => client.query('SELECT pg_notify($1, $2)', [channel, JSON.stringify(payload)]);

/** A message in the signed format, from an identity the attacker made up (no cluster secret). */
function forgedSigned(msg: Record<string, unknown>): { m: string; s: string } {
  const claim = { node_id: randomUUID(), app: 'admin', rsa: randomBytes(32).toString('hex'), sig_key: randomBytes(32).toString('base64'), proof: randomBytes(32).toString('hex') };
  return { m: JSON.stringify({ v: 2, from: claim, ts: Date.now(), nonce: randomBytes(12).toString('base64url'), msg }), s: randomBytes(64).toString('base64') };
}

beforeAll(async () => {
  echo = await echoServer();
  const env = { ...database.get().env(), KONG_KEYRING_ENABLED: 'on', KONG_KEYRING_CLUSTER_SECRET: secret };
  cluster = await Cluster.start(env, { proxies: 2 });
  broker = await AppProcess.start('keyring-broker', { env });
  const { api } = cluster;
  await api.post('/services', { form: { name: 'echo', url: echo.url } });
  await api.post('/services/echo/routes', { json: { name: 'keyed', paths: ['/keyed'] } });
  await api.post('/routes/keyed/plugins', { form: { name: 'key-auth' } });
  await api.post('/consumers', { form: { username: 'victim' } });
  await api.post('/consumers/victim/key-auth', { form: { key: victimKey } });
  for (const proxy of cluster.proxies) await cluster.until('/keyed', 200, { headers: { apikey: victimKey } }, proxy.url('proxy'));
  listener = await database.get().attacker();
  writer = await database.get().attacker({ tables: 'write' });
}, 120_000);

afterAll(async () => {
  await Promise.all([cluster?.stop(), broker?.stop()]);
  await echo?.close();
});

describe('an attacker with only a database connection', () => {
  it('cannot make nodes forget keys with forged `removed` messages, old format or signed by a made-up identity', async () => {
    const before = await keyrings();
    const ids = before[0]!.ids;
    for (const id of ids) {
      await notify(listener, 'keygate_keyring', { type: 'removed', from: randomUUID(), key_id: id });
      await notify(listener, 'keygate_keyring', forgedSigned({ type: 'removed', key_id: id }));
    }
    await cluster.admin.waitForLine((l) => l.includes('refused a message on the keyring channel (not admitted)'));
    await cluster.admin.waitForLine((l) => l.includes('ignored a malformed notification'));
    // A legitimate write after the forgeries proves the admin still encrypts with its keys.
    expect((await cluster.api.post('/consumers/victim/key-auth', { form: { key: plantedSecret('second-key') } })).status).toBe(201);
    expect(await keyrings()).toEqual(before);
  });

  it('cannot switch the active key with a forged `activated`, nor by editing keyring_meta', async () => {
    const original = (await statusOf(cluster.admin)).keyring.active!;
    const other = (await cluster.api.post<{ id: string }>('/keyring/generate')).json.id;
    await eventually(keyrings, (all) => all.every((k) => k.ids.includes(other)));
    await notify(listener, 'keygate_keyring', forgedSigned({ type: 'activated', key_id: other }));
    // With table access: make the other key look active, with a higher generation, and the
    // active one removed. No row verifies without the key itself.
    await writer.query("UPDATE keyring_meta SET state = 'alive' WHERE id = $1", [original]);
    await writer.query("UPDATE keyring_meta SET state = 'active', generation = 1000000 WHERE id = $1", [other]);
    await writer.query("INSERT INTO keyring_meta (id, state) VALUES ('evil0001', 'active') ON CONFLICT DO NOTHING").catch(() => undefined);
    await broker.waitForLine((l) => l.includes(`keyring_meta row of key ${other} is missing or does not verify`), 25_000);
    for (const keyring of await keyrings()) expect(keyring.active).toBe(original);
    const created = (await cluster.api.post<{ id: string }>('/consumers/victim/key-auth', { form: { key: plantedSecret('third-key') } })).json;
    const written = await database.get().query<{ key: string }>('SELECT key FROM keyauth_credentials WHERE id = $1', [created.id]);
    expect(written[0]!.key).toContain(`$ke$2$-${original}-`);
  });

  it('costs holders nothing with a flood of forged key requests: no envelope is written, refusals are logged once a minute, not per message', async () => {
    for (let i = 0; i < 100; i++) {
      await notify(listener, 'keygate_keyring', forgedSigned({ type: 'request', key_ids: '*', rsa_key: randomBytes(300).toString('base64') }));
      await notify(listener, 'keygate_keyring', { type: 'request', from: randomUUID(), key_ids: '*' });
    }
    // The admin's own next message shows the flood was read and refused.
    await cluster.api.post('/keyring/generate');
    await eventually(keyrings, (all) => new Set(all.map((k) => k.ids.length)).size === 1);
    expect(await database.get().query('SELECT count(*)::int AS n FROM keyring_envelopes WHERE recipient_node_id <> ALL($1::uuid[])', [await Promise.all(nodes().map(async (n) => (await statusOf(n)).node_id))])).toEqual([{ n: 0 }]);
    const refusals = cluster.admin.output.split('\n').filter((l) => l.includes('refused a message on the keyring channel') || l.includes('ignored a malformed notification'));
    expect(refusals.length).toBeLessThanOrEqual(6);
  });

  it('cannot switch off key-auth with a forged entity delete: the proxy reads the plugin row again and keeps enforcing', async () => {
    const plugin = (await database.get().query<{ id: string }>("SELECT id FROM plugins WHERE name = 'key-auth'"))[0]!.id;
    await notify(listener, 'keygate_entity_changes', { entity: 'plugins', op: 'delete', id: plugin });
    await notify(listener, 'keygate_entity_changes', { entity: 'routes', op: 'delete', id: (await database.get().query<{ id: string }>('SELECT id FROM routes'))[0]!.id });
    // A real change after the forged ones: once the proxies serve it, they have handled the forgeries.
    const late = plantedSecret('late-key');
    await cluster.api.post('/consumers', { form: { username: 'late' } });
    await cluster.api.post('/consumers/late/key-auth', { form: { key: late } });
    for (const proxy of cluster.proxies) {
      await cluster.until('/keyed', 200, { headers: { apikey: late } }, proxy.url('proxy'));
      expect((await call(proxy.url('proxy'), '/keyed')).status).toBe(401);
      expect((await call(proxy.url('proxy'), '/keyed', { headers: { apikey: 'guess' } })).status).toBe(401);
    }
  });

  it('cannot bring a removed key back by putting a consumed envelope back in the table', async () => {
    // A recorder stands for an attacker who reads keyring_envelopes as rows pass through it.
    await database.get().query('CREATE TABLE envelope_copies AS SELECT * FROM keyring_envelopes WITH NO DATA');
    await database.get().query(`CREATE FUNCTION copy_envelope() RETURNS trigger AS $$ BEGIN INSERT INTO envelope_copies SELECT NEW.*; RETURN NEW; END $$ LANGUAGE plpgsql`);
    await database.get().query('CREATE TRIGGER copy_envelope AFTER INSERT ON keyring_envelopes FOR EACH ROW EXECUTE FUNCTION copy_envelope()');
    const brokerId = (await statusOf(broker)).node_id;
    const doomed = (await cluster.api.post<{ id: string }>('/keyring/generate')).json.id;
    await eventually(() => statusOf(broker), (s) => s.keyring.ids.includes(doomed));
    expect((await cluster.api.post('/keyring/remove', { form: { key: doomed } })).status).toBe(204);
    await eventually(keyrings, (all) => all.every((k) => !k.ids.includes(doomed)));
    const copies = await database.get().query<{ id: string }>('SELECT id FROM envelope_copies WHERE key_id = $1 AND recipient_node_id = $2', [doomed, brokerId]);
    expect(copies.length).toBeGreaterThan(0);
    await database.get().query('DROP TRIGGER copy_envelope ON keyring_envelopes');
    await database.get().query('GRANT SELECT ON envelope_copies TO PUBLIC');
    await writer.query('INSERT INTO keyring_envelopes SELECT * FROM envelope_copies WHERE key_id = $1 AND recipient_node_id = $2', [doomed, brokerId]);
    await broker.waitForLine((l) => l.includes('rejected an envelope') && l.includes(copies[0]!.id), 25_000);
    expect((await statusOf(broker)).keyring.ids).not.toContain(doomed);
  });

  it('cannot cut a member off by overwriting its public key: the member registers again and keeps getting new keys', async () => {
    const proxy = cluster.proxies[1]!;
    const proxyId = (await statusOf(proxy)).node_id;
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await writer.query('UPDATE cluster_nodes SET public_key = $2 WHERE node_id = $1', [proxyId, stranger]);
    await proxy.waitForLine((l) => l.includes('cluster_nodes row was altered by someone else'), 20_000);
    const rotated = (await cluster.api.post<{ id: string }>('/keyring/generate')).json.id;
    expect((await cluster.api.post('/keyring/activate', { form: { key: rotated } })).status).toBe(204);
    const fresh = plantedSecret('fresh-key');
    await cluster.api.post('/consumers', { form: { username: 'fresh' } });
    await cluster.api.post('/consumers/fresh/key-auth', { form: { key: fresh } });
    await cluster.until('/keyed', 200, { headers: { apikey: fresh } }, proxy.url('proxy'));
    expect((await statusOf(proxy)).keyring.active).toBe(rotated);
  });
});
