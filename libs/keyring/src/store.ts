import type { Database, Queryable } from '@keygate/db';
import { INDEX_KEY_STATE, isIndexKeyId } from './index-key';

export interface KeyMeta {
  readonly id: string;
  /** `index`: the index key's row (lookup digests), never activated or retired. */
  readonly state: 'active' | 'alive' | 'tombstoned' | 'index';
}

export interface RecoveryRow {
  readonly id: string;
  readonly recovery_key_id: string;
  readonly key_encrypted: string;
}

/** Advisory lock id for keyring changes that must not interleave between nodes. */
const KEYRING_LOCK = 7_263_548_113;

/**
 * Kong's keyring tables: `keyring_meta` (ids and the active one; the cluster's view) and
 * `keyring_keys` (each key encrypted to the recovery public key).
 */
export class KeyringStore {
  constructor(private readonly db: Database) {}

  async meta(): Promise<KeyMeta[]> {
    return (await this.db.query<{ id: string; state: KeyMeta['state'] }>('SELECT id, state FROM keyring_meta ORDER BY created_at, id')).rows;
  }

  async activeId(): Promise<string | undefined> {
    return (await this.db.query<{ id: string }>("SELECT id FROM keyring_meta WHERE state = 'active'")).rows[0]?.id;
  }

  /** Runs `fn` in a transaction holding the cluster-wide keyring lock. */
  locked<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [KEYRING_LOCK]);
      return fn(tx);
    });
  }

  async addMeta(tx: Queryable, id: string): Promise<void> {
    const state = isIndexKeyId(id) ? INDEX_KEY_STATE : 'alive';
    await tx.query('INSERT INTO keyring_meta (id, state) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [id, state]);
  }

  async activate(tx: Queryable, id: string): Promise<void> {
    await this.addMeta(tx, id);
    await tx.query("UPDATE keyring_meta SET state = 'alive', updated_at = now() WHERE state = 'active' AND id <> $1", [id]);
    await tx.query("UPDATE keyring_meta SET state = 'active', updated_at = now() WHERE id = $1", [id]);
  }

  async remove(tx: Queryable, id: string): Promise<void> {
    await tx.query('DELETE FROM keyring_meta WHERE id = $1', [id]);
    await tx.query('DELETE FROM keyring_keys WHERE id = $1', [id]);
  }

  async saveRecovery(tx: Queryable, id: string, recoveryKeyId: string, sealed: string): Promise<void> {
    await tx.query(
      `INSERT INTO keyring_keys (id, recovery_key_id, key_encrypted) VALUES ($1, $2, $3)
       ON CONFLICT (id) DO UPDATE SET recovery_key_id = EXCLUDED.recovery_key_id, key_encrypted = EXCLUDED.key_encrypted, updated_at = now()`,
      [id, recoveryKeyId, sealed],
    );
  }

  /** Whether the cluster has (or had, by its backup) a key with this id. */
  async known(tx: Queryable, id: string): Promise<boolean> {
    const res = await tx.query('SELECT 1 FROM keyring_meta WHERE id = $1 UNION ALL SELECT 1 FROM keyring_keys WHERE id = $1', [id]);
    return res.rows.length > 0;
  }

  async recoveryRows(): Promise<RecoveryRow[]> {
    return (await this.db.query<{ id: string; recovery_key_id: string; key_encrypted: string }>('SELECT id, recovery_key_id, key_encrypted FROM keyring_keys ORDER BY id')).rows;
  }

  async recoveryKeyIds(): Promise<Map<string, string>> {
    const rows = await this.db.query<{ id: string; recovery_key_id: string }>('SELECT id, recovery_key_id FROM keyring_keys');
    return new Map(rows.rows.map((r) => [r.id, r.recovery_key_id]));
  }
}
