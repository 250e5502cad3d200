import type { KeyObject } from 'node:crypto';
import { publicKeyFingerprint, type DataKey } from '@keygate/crypto';
import type { Queryable } from '@keygate/db';
import { recoveryRowAuthentic, recoveryRowMac, sealForRecovery } from '../recovery';
import type { KeyringSettings } from '../settings';
import type { KeyringStore } from '../store';

/**
 * Where a key of the `cluster` strategy is stored: its signed `keyring_meta` row and, with
 * `keyring_recovery_public_key`, its backup in `keyring_keys` (sealed to the recovery key and,
 * with `keyring_cluster_secret`, authenticated), from which `POST /keyring/recover` rebuilds it.
 */
export class KeyBackup {
  constructor(
    private readonly settings: KeyringSettings,
    private readonly store: KeyringStore,
  ) {}

  /** Stores a new (or imported, or recovered) key's row and its backup, in `tx`. */
  async persist(tx: Queryable, key: DataKey): Promise<void> {
    // An id removed earlier may come back by import: its signed tombstone is replaced.
    await this.store.addMeta(tx, key, { revive: true });
    const recovery = this.settings.recoveryPublicKey;
    if (recovery) await this.#save(tx, key, recovery, publicKeyFingerprint(recovery));
  }

  /** Backs up held keys that have no row for the current recovery key (it was added later). */
  async backupMissing(held: readonly DataKey[]): Promise<void> {
    const recovery = this.settings.recoveryPublicKey;
    if (!recovery) return;
    const fingerprint = publicKeyFingerprint(recovery);
    const backed = await this.store.recoveryKeyIds();
    // Also rows without a valid MAC (written before rows were authenticated, or by someone else).
    const secret = this.settings.clusterSecret;
    const missing = held.filter((k) => {
      const row = backed.get(k.id);
      return row?.recovery_key_id !== fingerprint || (secret && !recoveryRowAuthentic(secret, row));
    });
    if (missing.length === 0) return;
    await this.store.locked(async (tx) => {
      for (const key of missing) await this.#save(tx, key, recovery, fingerprint);
    });
  }

  async #save(tx: Queryable, key: DataKey, recovery: KeyObject, fingerprint: string): Promise<void> {
    const sealed = sealForRecovery(key.key.reveal(), recovery);
    const secret = this.settings.clusterSecret;
    await this.store.saveRecovery(tx, key.id, fingerprint, sealed, secret ? recoveryRowMac(secret, key.id, sealed) : null);
  }
}
