import { randomUUID } from 'node:crypto';
import { ClusterAdmission, createMembership, Secret } from '@keygate/crypto';
import { silentLogger } from '@keygate/logging';
import { MessageGuard } from './guard';
import type { MemberIdentity } from './identity';
import { sealMessage, type WireMessage } from './messages';

const secret = new Secret('the-cluster-secret');
const admission = ClusterAdmission.fromSecret(secret);
let sender: MemberIdentity;
let outsider: MemberIdentity;
let now = Date.now();
const guard = (options: Partial<ConstructorParameters<typeof MessageGuard>[0]> = {}) =>
  new MessageGuard({ admission, selfId: randomUUID(), logger: silentLogger(), now: () => now, ...options });
const activated = (identity = sender, at = now) => sealMessage(identity, { type: 'activated', key_id: 'abcd1234' }, at);

beforeAll(async () => {
  sender = (await createMembership(randomUUID(), 'admin', secret, 1024)).identity;
  outsider = (await createMembership(randomUUID(), 'admin', new Secret('another-secret'), 1024)).identity;
});

describe('MessageGuard: what may change a keyring', () => {
  it('opens a fresh message signed by an admitted member, once', () => {
    const g = guard();
    const wire = activated();
    expect(g.open(wire)).toMatchObject({ from: { node_id: sender.nodeId }, msg: { type: 'activated', key_id: 'abcd1234' } });
    expect(g.open(wire)).toBeUndefined();
    expect(g.refused.replayed).toBe(1);
  });

  it('refuses, as malformed, a signed activation whose carried row is not a row', () => {
    const g = guard();
    const row = { state: 'active', origin: 'keygate', generation: '2', mac: 'bWFj' };
    const bad = [{ ...row, generation: 'x' }, { ...row, generation: 2 }, { ...row, origin: 'evil' }, { ...row, state: 'index' }, { ...row, mac: 'a'.repeat(500) }, 'row', null];
    for (const carried of bad) expect(g.open(sealMessage(sender, { type: 'activated', key_id: 'abcd1234', row: carried } as never, now))).toBeUndefined();
    expect(g.refused.malformed).toBe(bad.length);
    expect(g.open(sealMessage(sender, { type: 'activated', key_id: 'abcd1234', row: { state: 'active', origin: 'keygate', generation: '2', mac: 'bWFj' } }, now))).toBeDefined();
  });

  it('refuses the old unsigned shape, an identity without the cluster secret, and any edit of a signed message', () => {
    const g = guard();
    expect(g.open({ m: JSON.stringify({ type: 'removed', from: sender.nodeId, key_id: 'abcd1234' }), s: '' })).toBeUndefined();
    expect(g.refused.malformed).toBe(1);
    expect(g.open(activated(outsider))).toBeUndefined();
    expect(g.refused['not admitted']).toBe(1);
    const wire = activated();
    const edited: WireMessage = { m: wire.m.replace('"activated"', '"removed"'), s: wire.s };
    expect(g.open(edited)).toBeUndefined();
    expect(g.refused['bad signature']).toBe(1);
    // The claim itself is bound by the proof: another node id with a valid proof of someone else fails.
    const claimSwap: WireMessage = { m: wire.m.replace(sender.nodeId, randomUUID()), s: wire.s };
    expect(g.open(claimSwap)).toBeUndefined();
    expect(g.refused['not admitted']).toBe(2);
  });

  it('refuses a message older or newer than the window, and everything when this node has no cluster secret', () => {
    expect(guard().open(activated(sender, now - 61_000))).toBeUndefined();
    expect(guard().open(activated(sender, now + 61_000))).toBeUndefined();
    expect(guard({ admission: undefined }).open(activated())).toBeUndefined();
  });

  it('drops messages this node does not act on before checking them, and its own silently', () => {
    const g = guard({ relevant: (msg) => msg.type !== 'applied', selfId: sender.nodeId });
    expect(g.open(activated())).toBeUndefined();
    const other = guard({ relevant: (msg) => msg.type !== 'applied' });
    expect(other.open(sealMessage(outsider, { type: 'applied', active: null, key_ids: [] }))).toBeUndefined();
    expect(Object.values(g.refused).concat(Object.values(other.refused)).every((n) => n === 0)).toBe(true);
  });

  it('limits each sender to its burst, then to its rate', () => {
    const g = guard({ burst: 3, perSecond: 1 });
    const opened = Array.from({ length: 5 }, () => g.open(activated())).filter(Boolean);
    expect(opened).toHaveLength(3);
    expect(g.refused['rate limited']).toBe(2);
    now += 1000;
    expect(g.open(activated())).toBeDefined();
  });
});
