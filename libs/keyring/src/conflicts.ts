import { timingSafeEqual } from 'node:crypto';
import { keyOrigin, type DataKey } from '@keygate/crypto';
import { keyConflict } from './errors';
import type { Keyring } from './keyring';
import { verifyMeta, type MetaRow } from './meta';

/**
 * Import never overwrites a key. An id held here must come with the same material and origin
 * (then importing it again changes nothing). An id the cluster knows but this node does not hold
 * (every id, after all nodes restarted) is accepted only when the imported key verifies the MAC
 * of its `keyring_meta` row, which only the same material with the same origin can: that is the
 * way back from an export after a full restart. Anything else is refused. Checked for every key
 * before anything is written: one conflict refuses the whole import.
 */
export function assertNoConflict(keyring: Keyring, known: ReadonlyMap<string, MetaRow | undefined>, keys: readonly DataKey[]): void {
  for (const key of keys) {
    const held = keyring.get(key.id);
    if (held) {
      if (!sameMaterial(held, key)) {
        throw keyConflict(key.id, 'with different material; replacing it would make every value written under it unreadable. import it under another id; nothing was imported');
      }
      if (keyOrigin(held) !== keyOrigin(key)) {
        throw keyConflict(key.id, `as a ${keyOrigin(held)} key, not ${keyOrigin(key)} (origin decides whether Kong's $ke$1$ values are read under it); nothing was imported`);
      }
    } else if (known.has(key.id)) {
      const row = known.get(key.id);
      if (row && verifyMeta(key, row) && row.origin === keyOrigin(key)) continue;
      throw keyConflict(key.id, 'with other material or origin, or its keyring_meta row cannot vouch for it (written before rows were signed, or edited); recover it (POST /keyring/recover) instead; nothing was imported');
    }
  }
}

export function sameMaterial(a: DataKey, b: DataKey): boolean {
  const left = a.key.reveal();
  const right = b.key.reveal();
  return left.length === right.length && timingSafeEqual(left, right);
}

