import { constantTimeEqual, deriveKey, hmacBase64, type DataKey } from '@keygate/crypto';

/**
 * A `keyring_meta` row as stored. `state` is Kong's column (kept current for Kong's tools); what
 * a node acts on is authenticated: each row carries a MAC under a subkey of the very key it
 * describes, over its id, origin, activation generation and whether it was removed. Whoever
 * lacks the key cannot write a row that verifies, so a database writer can neither activate a
 * key, nor make nodes forget one, nor mark a Keygate key as Kong's (which would allow `$ke$1$`).
 */
export interface MetaRow {
  readonly id: string;
  readonly state: 'active' | 'alive' | 'tombstoned' | 'index';
  readonly origin: 'keygate' | 'kong';
  /** The activation generation (bigint as text); null if never activated. */
  readonly generation: string | null;
  readonly mac: string | null;
}

export interface MetaClaim {
  readonly id: string;
  readonly origin: 'keygate' | 'kong';
  readonly generation: string | null;
  readonly removed: boolean;
}

const PURPOSE = 'keygate keyring_meta v1';
const macKeys = new WeakMap<DataKey, Buffer>();

export function metaMac(key: DataKey, claim: MetaClaim): string {
  let macKey = macKeys.get(key);
  if (!macKey) {
    macKey = deriveKey(key.key, PURPOSE);
    macKeys.set(key, macKey);
  }
  return hmacBase64(macKey, ['keygate-keyring-meta:v1', claim.id, claim.origin, claim.generation ?? '', claim.removed ? 'removed' : 'live'].join('\n'));
}

export function claimOfRow(row: MetaRow): MetaClaim {
  return { id: row.id, origin: row.origin, generation: row.generation, removed: row.state === 'tombstoned' };
}

/** True when `row` was written by a holder of `key` exactly as it reads now. */
export function verifyMeta(key: DataKey, row: MetaRow): boolean {
  return typeof row.mac === 'string' && key.id === row.id && constantTimeEqual(row.mac, metaMac(key, claimOfRow(row)));
}

/** What the held keys can vouch for in `keyring_meta`. */
export interface VerifiedMeta {
  /** The verified, not removed, row with the highest activation generation. */
  readonly active: { readonly id: string; readonly generation: bigint } | undefined;
  /** Held keys whose removal is verified. */
  readonly removed: string[];
  /** Held keys whose row does not verify (edited) or is missing: kept, never acted on. */
  readonly unverified: string[];
  /** Ids of rows this node cannot check because it lacks the key (not removed as far as the row says). */
  readonly notHeld: string[];
  /** Verified origin of each held key. */
  readonly origins: ReadonlyMap<string, 'keygate' | 'kong'>;
}

export function verifiedMeta(rows: readonly MetaRow[], keyFor: (id: string) => DataKey | undefined, held: readonly string[]): VerifiedMeta {
  let active: VerifiedMeta['active'];
  const removed: string[] = [];
  const unverified: string[] = [];
  const notHeld: string[] = [];
  const origins = new Map<string, 'keygate' | 'kong'>();
  const seen = new Set<string>();
  for (const row of rows) {
    seen.add(row.id);
    const key = keyFor(row.id);
    if (!key) {
      if (row.state !== 'tombstoned') notHeld.push(row.id);
      continue;
    }
    if (!verifyMeta(key, row)) {
      unverified.push(row.id);
      continue;
    }
    origins.set(row.id, row.origin);
    if (row.state === 'tombstoned') removed.push(row.id);
    else if (row.generation !== null && (!active || BigInt(row.generation) > active.generation)) active = { id: row.id, generation: BigInt(row.generation) };
  }
  for (const id of held) if (!seen.has(id)) unverified.push(id);
  return { active, removed, unverified, notHeld, origins };
}
