import type { DataKey } from '@keygate/crypto';
import type { Database, Queryable, Transaction } from '@keygate/db';
import { metaMac, type MetaRow } from './meta';
import { INDEX_KEY_STATE, isIndexKeyId } from './index-key';

/** A `keyring_meta` row as an activation writes it. */
export type ActiveRow = MetaRow & { readonly generation: string };

export interface KeyMeta {
  readonly id: string;
  /** `index`: the index key's row (lookup digests), never activated or retired. */
  readonly state: 'active' | 'alive' | 'tombstoned' | 'index';
}

export interface RecoveryRow {
  readonly id: string;
  readonly recovery_key_id: string;
  readonly key_encrypted: string;
  /** HMAC with the cluster secret (recovery.ts); null when written without one, or by Kong. */
  readonly mac: string | null;
}

/** Advisory lock id for keyring changes that must not interleave between nodes. */
const KEYRING_LOCK = 7_263_548_113;

/**
 * Kong's keyring tables: `keyring_meta` (ids, the active one, removals; each row authenticated
 * by the key it describes, see meta.ts) and `keyring_keys` (each key encrypted to the recovery
 * public key). The only place that writes SQL on them.
 */
export class KeyringStore {
  constructor(private readonly db: Database) {}

  /** Ids of keys not removed, as the rows say (unauthenticated: for listings and requests). */
  async meta(): Promise<KeyMeta[]> {
    return (await this.db.query<{ id: string; state: KeyMeta['state'] }>("SELECT id, state FROM keyring_meta WHERE state NOT IN ('tombstoned', 'index') ORDER BY created_at, id")).rows;
  }

  async rows(q: Queryable = this.db, ids?: readonly string[]): Promise<MetaRow[]> {
    const where = ids ? 'WHERE id = ANY($1::text[])' : '';
    const res = await q.query<MetaRow & Record<string, unknown>>(
      `SELECT id, state, origin, generation::text AS generation, mac FROM keyring_meta ${where} ORDER BY created_at, id`,
      ids ? [ids] : [],
    );
    return res.rows;
  }

  /** The id the `active` row names (unauthenticated: compare with what this node applied). */
  async activeId(q: Queryable = this.db): Promise<string | undefined> {
    return (await q.query<{ id: string }>("SELECT id FROM keyring_meta WHERE state = 'active'")).rows[0]?.id;
  }

  /** Seconds since `id` became the active key (its row's last change), if it is the active one. For metrics. */
  async activeForSeconds(id: string): Promise<number | undefined> {
    const res = await this.db.query<{ s: number }>("SELECT extract(epoch FROM now() - updated_at)::float8 AS s FROM keyring_meta WHERE id = $1 AND state = 'active'", [id]);
    return res.rows[0]?.s;
  }

  /** Ids of keys not removed nor active whose row has not changed for `graceMs`. */
  async inactiveSince(graceMs: number): Promise<string[]> {
    const res = await this.db.query<{ id: string }>(
      `SELECT id FROM keyring_meta WHERE state = 'alive' AND updated_at < now() - ($1::bigint * interval '1 millisecond')`,
      [graceMs],
    );
    return res.rows.map((r) => r.id);
  }

  /** Runs `fn` in a transaction holding the cluster-wide keyring lock. */
  locked<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.db.transaction(fn, { advisoryLock: KEYRING_LOCK });
  }

  /** A new key's row (never overwrites one: a removed id stays removed unless `revive`). */
  async addMeta(tx: Queryable, key: DataKey, options: { revive?: boolean } = {}): Promise<void> {
    const origin = key.origin ?? 'keygate';
    const mac = metaMac(key, { id: key.id, origin, generation: null, removed: false });
    const conflict = options.revive
      ? "ON CONFLICT (id) DO UPDATE SET state = 'alive', origin = EXCLUDED.origin, generation = NULL, mac = EXCLUDED.mac, updated_at = now() WHERE keyring_meta.state = 'tombstoned'"
      : 'ON CONFLICT (id) DO NOTHING';
    const state = isIndexKeyId(key.id) ? INDEX_KEY_STATE : 'alive';
    await tx.query(`INSERT INTO keyring_meta (id, state, origin, mac) VALUES ($1, $4, $2, $3) ${conflict}`, [key.id, origin, mac, state]);
  }

  /**
   * Makes `key` active with the next generation; returns the row as it is written. Runs under
   * `locked`. One round trip: the key's row if new, the previous active row demoted, and the next
   * generation (the new row has none, and a demotion keeps its generation, so the snapshot's
   * maximum is the right one). Then this row, in a second statement sent with the COMMIT: the
   * partial unique index on the active state is checked row by row, so promoting in the same
   * statement could trip it. Queries issued after this one run after the promotion.
   */
  async activate(tx: Transaction, key: DataKey): Promise<ActiveRow> {
    const origin = key.origin ?? 'keygate';
    const next = (
      await tx.query<{ g: string }>(
        `WITH added AS (INSERT INTO keyring_meta (id, state, origin, mac) VALUES ($1, 'alive', $2, $3) ON CONFLICT (id) DO NOTHING),
              demoted AS (UPDATE keyring_meta SET state = 'alive', updated_at = now() WHERE state = 'active' AND id <> $1)
         SELECT (coalesce(max(generation), 0) + 1)::text AS g FROM keyring_meta`,
        [key.id, origin, metaMac(key, { id: key.id, origin, generation: null, removed: false })],
      )
    ).rows[0]!.g;
    const row = { id: key.id, state: 'active', origin, generation: next, mac: metaMac(key, { id: key.id, origin, generation: next, removed: false }) } as const;
    tx.commitWith(tx.query("UPDATE keyring_meta SET state = 'active', origin = $2, generation = $3, mac = $4, updated_at = now() WHERE id = $1", [row.id, row.origin, row.generation, row.mac]));
    return row;
  }

  /** Re-signs a row as it reads now (legacy rows without a MAC; recovery). Never a removal. */
  async sign(tx: Queryable, key: DataKey, generation: string | null): Promise<void> {
    const origin = key.origin ?? 'keygate';
    const mac = metaMac(key, { id: key.id, origin, generation, removed: false });
    await tx.query("UPDATE keyring_meta SET origin = $2, generation = $3, mac = $4, state = CASE WHEN state = 'tombstoned' THEN 'alive' ELSE state END WHERE id = $1", [key.id, origin, generation, mac]);
  }

  /** Marks the key removed (a signed tombstone) and drops its recovery copy; returns the tombstone. */
  async remove(tx: Queryable, key: DataKey): Promise<MetaRow> {
    const row = (await this.rows(tx, [key.id]))[0];
    const origin = key.origin ?? 'keygate';
    const mac = metaMac(key, { id: key.id, origin, generation: row?.generation ?? null, removed: true });
    await tx.query(
      `INSERT INTO keyring_meta (id, state, origin, generation, mac) VALUES ($1, 'tombstoned', $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET state = 'tombstoned', origin = EXCLUDED.origin, generation = EXCLUDED.generation, mac = EXCLUDED.mac, updated_at = now()`,
      [key.id, origin, row?.generation ?? null, mac],
    );
    await tx.query('DELETE FROM keyring_keys WHERE id = $1', [key.id]);
    return { id: key.id, state: 'tombstoned', origin, generation: row?.generation ?? null, mac };
  }

  async saveRecovery(tx: Queryable, id: string, recoveryKeyId: string, sealed: string, mac: string | null): Promise<void> {
    await tx.query(
      `INSERT INTO keyring_keys (id, recovery_key_id, key_encrypted, mac) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET recovery_key_id = EXCLUDED.recovery_key_id, key_encrypted = EXCLUDED.key_encrypted, mac = EXCLUDED.mac, updated_at = now()`,
      [id, recoveryKeyId, sealed, mac],
    );
  }

  /**
   * Keys the cluster knows and has not removed, read inside the keyring lock: each id with its
   * `keyring_meta` row (undefined for an id found only in `keyring_keys`).
   */
  async known(tx: Queryable): Promise<Map<string, MetaRow | undefined>> {
    const rows = await this.rows(tx);
    const out = new Map<string, MetaRow | undefined>(rows.filter((r) => r.state !== 'tombstoned').map((r) => [r.id, r]));
    for (const { id } of (await tx.query<{ id: string }>('SELECT id FROM keyring_keys')).rows) if (!out.has(id)) out.set(id, undefined);
    return out;
  }

  /** Whether the cluster has (or had, by its backup) a key with this id. */
  async hasKey(tx: Queryable, id: string): Promise<boolean> {
    const res = await tx.query('SELECT 1 FROM keyring_meta WHERE id = $1 UNION ALL SELECT 1 FROM keyring_keys WHERE id = $1', [id]);
    return res.rows.length > 0;
  }


  async recoveryRows(): Promise<RecoveryRow[]> {
    return (await this.db.query<RecoveryRow & Record<string, unknown>>('SELECT id, recovery_key_id, key_encrypted, mac FROM keyring_keys ORDER BY id')).rows;
  }

  async recoveryKeyIds(): Promise<Map<string, RecoveryRow>> {
    return new Map((await this.recoveryRows()).map((r) => [r.id, r]));
  }
}
