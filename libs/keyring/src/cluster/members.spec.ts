import { randomBytes, randomUUID } from 'node:crypto';
import { loadConfig } from '@keygate/config';
import { admittedClaim, createMembership, createNodeIdentity, Secret } from '@keygate/crypto';
import { connectionSettings, Database } from '@keygate/db';
import { memoryLogger } from '@keygate/logging';
import { useTestDatabase } from '@keygate/testing';
import { ClusterStore } from './cluster-store';
import { Members } from './members';

/**
 * A peer learned from a verified message is remembered only while its admission proof admits
 * it: an enrolled node whose credential was revoked stops being trusted when its proof ends,
 * not when this process restarts.
 */
const database = useTestDatabase();
let db: Database;

beforeAll(async () => {
  const { config } = await loadConfig({ env: {}, defaultPaths: [], overrides: database.get().settings() });
  db = new Database({ settings: connectionSettings(config, 'rw')!, logger: memoryLogger('info').logger, app: 'members-spec' });
});
afterAll(() => db?.close());

describe('Members: admitted peers', () => {
  it('forgets a peer learned from a message once its proof expires, and then goes by its row', async () => {
    const secret = new Secret(randomBytes(24).toString('base64url'));
    const self = await createMembership(randomUUID(), 'admin', secret, 1024);
    const admission = self.admission!;
    const { logger, lines } = memoryLogger('info');
    const cluster = new ClusterStore(db);
    const members = new Members({ store: cluster, identity: self.identity, hostname: 'test', version: 'test', admission, logger });

    const peer = await createNodeIdentity(randomUUID(), 'proxy', 1024);
    const expiresAt = Date.now() + 1500;
    const enrolled = { ...peer, proof: admission.sign(peer.claim, { expiresAt }) };
    const learned = members.learn(admittedClaim(enrolled));
    expect(learned).toMatchObject({ nodeId: peer.nodeId, expiresAt: Math.floor(expiresAt / 1000) * 1000 });
    // No row yet: the message alone admits it, while the proof lasts.
    expect(await members.admittedPeer(peer.nodeId)).toBe(learned);

    await cluster.register(enrolled, { hostname: 'peer', version: 'test' }, { keyIds: [], active: undefined });
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, learned!.expiresAt! - Date.now()) + 50));
    // Its row carries the same, now expired, proof: refused and logged once.
    expect(await members.admittedPeer(peer.nodeId)).toBeUndefined();
    expect(await members.admittedPeer(peer.nodeId)).toBeUndefined();
    expect(lines.filter((l) => l.includes('refused keyring member') && l.includes(peer.nodeId))).toHaveLength(1);

    // Renewed (a new proof in its row): admitted again, from the row.
    await cluster.register({ ...peer, proof: admission.sign(peer.claim, { expiresAt: Date.now() + 60_000 }) }, { hostname: 'peer', version: 'test' }, { keyIds: [], active: undefined });
    expect(await members.admittedPeer(peer.nodeId)).toMatchObject({ nodeId: peer.nodeId });
  });
});
