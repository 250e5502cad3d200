import { newDataKey, Secret } from '@keygate/crypto';
import { Keyring, type KeyringChange } from './keyring';

describe('Keyring', () => {
  it('holds keys, one active, and reports each change once', () => {
    const ring = new Keyring();
    const changes: KeyringChange[] = [];
    ring.onChange((c) => changes.push(c));
    const a = { id: 'a1', key: new Secret(newDataKey()) };
    ring.add(a);
    ring.add(a);
    ring.activate('a1');
    ring.activate('a1');
    expect(ring.active()).toBe(a);
    expect(() => ring.activate('zz')).toThrow('key zz is not in the keyring');
    ring.remove('a1');
    expect(ring.activeId).toBeUndefined();
    expect(changes).toEqual([
      { type: 'added', id: 'a1' },
      { type: 'activated', id: 'a1' },
      { type: 'removed', id: 'a1' },
    ]);
  });
});
