import { randomBytes, randomUUID } from 'node:crypto';
import { Bus } from '@keygate/bus';
import { loadConfig } from '@keygate/config';
import { newDataKey, Secret, type DataKey } from '@keygate/crypto';
import { connectionSettings, Database } from '@keygate/db';
import { memoryLogger } from '@keygate/logging';
import { useTestDatabase } from '@keygate/testing';
import { Keyring } from '../keyring';
import { metaMac, type MetaRow } from '../meta';
import { KeyringStore } from '../store';
import { ClusterStore } from './cluster-store';
import { KeyringExchange } from './exchange';
import { createMembership, type MemberIdentity } from './identity';
import { Members } from './members';
import { KEYRING_CHANNEL, sealMessage, type CarriedRow } from './messages';

/**
 * A member applies an activation from the row its message carries, without reading it back,
 * only when that row's MAC verifies under the key; anything else falls back to the table, and
 * an older activation is refused either way.
 */
const database = useTestDatabase();
const secret = new Secret(randomBytes(24).toString('base64url'));
const dataKey = (id: string): DataKey => ({ id, key: new Secret(newDataKey()) });
const stopAll: Array<() => Promise<void> | void> = [];

afterAll(async () => {
  for (const stop of stopAll.reverse()) await stop();
});

async function member() {
  const { config } = await loadConfig({ env: {}, defaultPaths: [], overrides: database.get().settings() });
  const db = new Database({ settings: connectionSettings(config, 'rw')!, logger: memoryLogger('info').logger, app: `exchange-${randomBytes(3).toString('hex')}` });
  const bus = new Bus({ connect: () => db.newClient(), db, logger: memoryLogger('info').logger });
  const { logger, lines } = memoryLogger('debug');
  const { identity, admission } = await createMembership(randomUUID(), 'keyring-broker', secret, 1024);
  const cluster = new ClusterStore(db);
  const store = new KeyringStore(db);
  const keyring = new Keyring();
  const members = new Members({ store: cluster, identity, hostname: 'test', version: 'test', admission, logger });
  const exchange = new KeyringExchange({ db, bus, keyring, store, cluster, members, identity, admission, logger, fetchTimeoutMs: 500, reconcileMs: 60_000 });
  exchange.start();
  await bus.start();
  stopAll.push(async () => {
    exchange.stop();
    await bus.stop();
    await db.close();
  });
  return { db, bus, store, keyring, exchange, lines };
}

const rowOf = (key: DataKey, generation: string): CarriedRow => ({ state: 'active', origin: 'keygate', generation, mac: metaMac(key, { id: key.id, origin: 'keygate', generation, removed: false }) });

describe('KeyringExchange: activations carried with their row', () => {
  let sender: MemberIdentity;
  let node: Awaited<ReturnType<typeof member>>;
  const a = dataKey('carriedA');
  const b = dataKey('carriedB');

  beforeAll(async () => {
    sender = (await createMembership(randomUUID(), 'admin', secret, 1024)).identity;
    node = await member();
    for (const key of [a, b]) node.keyring.add(key);
    // The table says A is active (generation 1); B exists, never activated.
    await node.store.locked(async (tx) => {
      await node.store.addMeta(tx, b);
      await node.store.activate(tx, a);
    });
    await node.exchange.resync();
    expect(node.keyring.activeId).toBe(a.id);
  }, 30_000);

  const announce = (keyId: string, row?: CarriedRow) => node.bus.publish(KEYRING_CHANNEL, sealMessage(sender, { type: 'activated', key_id: keyId, ...(row ? { row } : {}) }));
  const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

  it('ignores a carried row whose MAC does not verify, and checks the table instead (which says otherwise)', async () => {
    await announce(b.id, { ...rowOf(b, '7'), mac: rowOf(a, '7').mac });
    await announce(b.id, { ...rowOf(b, '7'), generation: '8' });
    await settle();
    // Both passed the guard (signed by an admitted member): only the row check kept A active.
    expect(Object.values(node.exchange.guard.refused).reduce((n, c) => n + c, 0)).toBe(0);
    expect(node.keyring.activeId).toBe(a.id);
  });

  it('applies a carried row that verifies, without the table (which still names A)', async () => {
    await announce(b.id, rowOf(b, '2'));
    for (let i = 0; i < 50 && node.keyring.activeId !== b.id; i++) await settle();
    expect(node.keyring.activeId).toBe(b.id);
    const table = (await node.store.rows(node.db, [a.id, b.id])) as MetaRow[];
    expect(table.find((r) => r.id === a.id)?.state).toBe('active');
  });

  it('refuses a verified but older activation (a replayed row)', async () => {
    await announce(a.id, rowOf(a, '1'));
    await settle();
    expect(node.keyring.activeId).toBe(b.id);
    expect(node.lines.some((l) => l.includes(`refused to activate ${a.id}: an older activation`))).toBe(true);
  });
});
