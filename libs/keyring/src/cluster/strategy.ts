import type { KeyObject } from 'node:crypto';
import { renameSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { newDataKey, newKeyId, parsePrivateKeyPem, publicKeyFingerprint, RsaKeyError, Secret, type DataKey, type KeyOrigin } from '@keygate/crypto';
import type { Queryable } from '@keygate/db';
import type { Logger } from '@keygate/logging';
import { exportKeyring, importKeyring } from '../blob';
import { assertNoConflict, sameMaterial } from '../conflicts';
import { activeKeyRemoval, badParam, keyConflict, keyInUse, settingMissing, unknownKey } from '../errors';
import type { Keyring } from '../keyring';
import { openRecovery, RECOVERY_V1, recoveryRowAuthentic, recoveryRowMac, sealForRecovery } from '../recovery';
import type { KeyringSettings } from '../settings';
import type { KeyringStore } from '../store';
import { noPeers, type KeyringPeers } from './peers';
import { verifiedMeta, verifyMeta, type MetaRow } from '../meta';
import { INDEX_KEY_ID, isIndexKeyId } from '../index-key';

export interface RecoverResult {
  readonly message: string;
  readonly recovered: string[];
  readonly not_recovered: string[];
  readonly active: string | null;
  /** Whether the index key (lookup digests) is on this node after the recovery. */
  readonly index_key: boolean;
}

const KEY_ID = /^[A-Za-z0-9_.~]{1,64}$/;

/** Runs in the activation's transaction: requests the re-encryption (outbox) with it. */
export type ActivationHook = (tx: Queryable, keyId: string, reason: 'activation' | 'manual' | 'rotation') => Promise<void>;

/** Counts rows still encrypted with a key, per table (live, for safe removal). */
export type KeyUsageCounter = (keyId: string) => Promise<Record<string, number>>;

export interface ClusterKeyringOptions {
  readonly settings: KeyringSettings;
  readonly store: KeyringStore;
  readonly keyring: Keyring;
  readonly logger: Logger;
  /** Where changes made here are announced (the cluster exchange; `noPeers` on a lone node). */
  readonly peers: KeyringPeers;
  readonly onActivation: ActivationHook;
  readonly usageOf: KeyUsageCounter;
  /** Whether rows hold digests keyed with an index key (then one existed: never make another). */
  readonly keyedDigestsExist: (tx: Queryable) => Promise<boolean>;
}

/**
 * The `cluster` strategy on one node: keys generated here or imported, their ids and the active
 * one in `keyring_meta`, each key backed up encrypted to the recovery public key. Changes made
 * here are announced to the other members through `peers`.
 */
export class ClusterKeyring {
  private readonly settings: KeyringSettings;
  private readonly store: KeyringStore;
  private readonly keyring: Keyring;
  private readonly logger: Logger;
  private readonly peers: KeyringPeers;
  private readonly onActivation: ActivationHook;
  private readonly usageOf: KeyUsageCounter;
  private readonly keyedDigestsExist: (tx: Queryable) => Promise<boolean>;

  constructor(options: ClusterKeyringOptions) {
    this.settings = options.settings;
    this.store = options.store;
    this.keyring = options.keyring;
    this.logger = options.logger;
    this.peers = options.peers;
    this.onActivation = options.onActivation;
    this.usageOf = options.usageOf;
    this.keyedDigestsExist = options.keyedDigestsExist;
  }

  /**
   * Loads the blob file, generates the first key if the cluster has none (under the keyring lock,
   * so two nodes starting together make one), activates the cluster's active key if held here,
   * and backs up to the recovery key any held key that is not backed up yet.
   */
  async start(): Promise<void> {
    this.#loadBlob();
    await this.store.locked(async (tx) => {
      const meta = await this.store.rows(tx);
      if (meta.length > 0) return this.#signLegacyRows(tx, meta);
      const key = { id: newKeyId(), key: new Secret(newDataKey()) };
      await this.#persist(tx, key);
      this.keyring.add(key);
      this.keyring.activate(key.id, await this.store.activate(tx, key));
      this.logger.info({ key_id: key.id }, 'keyring was empty: generated and activated its first key');
      if (!(await this.store.hasKey(tx, INDEX_KEY_ID))) await this.#createIndexKey(tx);
    });
    await this.#tellPeers((p) => p.distribute(this.keyring.all()));
    await this.syncActive();
    await this.#backupMissing();
    if (!this.settings.recoveryPublicKey) {
      this.logger.warn('keyring_recovery_public_key is not set: if every node stops, data encrypted with the keyring cannot be recovered');
    }
    this.#saveBlob();
  }

  /**
   * Activates locally whatever `keyring_meta` says is active, if this node holds it. A member of
   * the cluster exchange asks its peers for a missing key (and warns if none sends it within
   * `keyring_fetch_timeout`); a node without peers cannot get it but by recovery or import.
   */
  async syncActive(): Promise<void> {
    const verified = verifiedMeta(await this.store.rows(), (id) => this.keyring.get(id), this.keyring.ids());
    if (verified.active) {
      this.keyring.activate(verified.active.id, verified.active.generation);
      return;
    }
    // Nothing held vouches for an active key: it is one this node lacks (or none is active).
    const active = (await this.store.meta()).find((m) => m.state === 'active')?.id;
    if (active && this.keyring.has(active)) {
      this.logger.warn({ key_id: active }, `keyring_meta names ${active} as active but its row does not verify; not activating it`);
    }
    else if (active && this.peers !== noPeers) {
      this.logger.info({ key_id: active }, `the active key ${active} is not on this node yet: asking peers for it`);
      void this.peers.fetchMissing(active).then(() => this.syncActiveHeld(active), (err: unknown) => this.logger.warn({ err, key_id: active }, 'keyring: asking peers for the active key failed'));
    }
    else if (active) {
      this.logger.warn({ key_id: active }, `the active key ${active} is not on this node: recover (POST /keyring/recover) or import it`);
    }
  }

  /**
   * For a cluster made before index keys existed (or whose index key row was deleted): the first
   * node holding the keyring that finds none makes it, under the keyring lock. A node never makes
   * one while the cluster has (or backed up) one, or while rows hold digests keyed with one: a
   * second index key would change every digest and break uniqueness. It asks peers instead.
   */
  async ensureIndexKey(): Promise<void> {
    if (this.keyring.indexKey()) {
      // Puts back a deleted row, so that members that lack the key keep asking for it.
      await this.store.locked((tx) => this.store.addMeta(tx, this.keyring.indexKey()!));
      return;
    }
    if (this.keyring.ids().length === 0) return;
    const outcome = await this.store.locked(async (tx) => {
      if (await this.store.hasKey(tx, INDEX_KEY_ID)) return 'exists';
      if (await this.keyedDigestsExist(tx)) return 'lost';
      await this.#createIndexKey(tx);
      return 'created';
    });
    if (outcome === 'created') {
      this.logger.info('keyring had no index key: generated it (it keys lookup digests such as key-auth key_digest)');
      this.#saveBlob();
      await this.#tellPeers((p) => p.distribute(this.keyring.all().filter((k) => isIndexKeyId(k.id))));
    } else if (!(await this.peers.fetchMissing(INDEX_KEY_ID))) {
      this.logger.error(
        outcome === 'lost'
          ? 'rows hold digests keyed with an index key that no node holds; recover it (POST /keyring/recover) or import it (POST /keyring/import). Key-auth writes answer 503 until then'
          : 'the keyring index key is not on this node; recover it (POST /keyring/recover) or import it (POST /keyring/import). Key-auth writes answer 503 until then',
      );
    }
  }

  async #createIndexKey(tx: Queryable): Promise<void> {
    const key = { id: INDEX_KEY_ID, key: new Secret(newDataKey()) };
    await this.#persist(tx, key);
    this.keyring.add(key);
  }

  private async syncActiveHeld(id: string): Promise<void> {
    if (this.keyring.has(id) && this.keyring.activeId !== id) await this.syncActive();
  }

  async generate(): Promise<DataKey> {
    const key = { id: newKeyId(), key: new Secret(newDataKey()) };
    this.keyring.add(key);
    await this.store.locked((tx) => this.#persist(tx, key));
    this.#saveBlob();
    await this.#tellPeers((p) => p.distribute([key]));
    return key;
  }

  async activate(id: string, reason: 'activation' | 'rotation' = 'activation'): Promise<void> {
    const key = this.keyring.get(id);
    if (!key) throw unknownKey(id);
    const generation = await this.store.locked(async (tx) => {
      const g = await this.store.activate(tx, key);
      await this.onActivation(tx, id, reason);
      // Inside the transaction: every member hears of it the moment it commits.
      await this.peers.activated(id, tx);
      return g;
    });
    this.keyring.activate(id, generation);
    this.#saveBlob();
    await this.#tellPeers((p) => p.applied());
  }

  /**
   * Refuses (409) while rows still use the key, with the count per table, unless `force`: the
   * rows would become unreadable. The active key is never removed.
   */
  async remove(id: string, force = false): Promise<void> {
    const key = this.keyring.get(id);
    if (!key) throw unknownKey(id);
    if (this.keyring.activeId === id) throw activeKeyRemoval(id);
    const usage = await this.usageOf(id);
    const total = Object.values(usage).reduce((n, c) => n + c, 0);
    if (total > 0 && !force) throw keyInUse(id, usage);
    if (total > 0) this.logger.warn({ key_id: id, rows: usage }, `removing key ${id} with force=true: ${total} rows encrypted with it become unreadable`);
    await this.store.locked(async (tx) => {
      const active = await this.store.activeId(tx);
      if (active === id || this.keyring.activeId === id) throw activeKeyRemoval(id);
      await this.store.remove(tx, key);
    });
    this.keyring.remove(id);
    this.#saveBlob();
    await this.#tellPeers((p) => p.removed(id));
  }

  exportBlob(): string {
    if (!this.settings.publicKey) throw settingMissing('keyring_public_key', 'the export is encrypted to it');
    return exportKeyring(this.keyring.all(), this.keyring.activeId, this.settings.publicKey);
  }

  async import(data: string): Promise<{ ids: string[]; active?: string }> {
    if (!this.settings.privateKey) throw settingMissing('keyring_private_key', 'the export is decrypted with it');
    const imported = importKeyring(data, this.settings.privateKey);
    // Only our authenticated format may carry the index key (Kong's can be forged with the public key).
    const contents = imported.format === 'kong' ? { ...imported, keys: imported.keys.filter((k) => !isIndexKeyId(k.id)) } : imported;
    let generation: bigint | undefined;
    await this.store.locked(async (tx) => {
      assertNoConflict(this.keyring, await this.store.known(tx), contents.keys);
      for (const key of contents.keys) await this.#persist(tx, key);
      const active = contents.keys.find((k) => k.id === contents.active);
      if (active && this.keyring.activeId !== active.id) {
        generation = await this.store.activate(tx, active);
        await this.onActivation(tx, active.id, 'activation');
      }
    });
    for (const key of contents.keys) this.keyring.add(key);
    if (contents.active && this.keyring.has(contents.active)) this.keyring.activate(contents.active, generation);
    this.logger.info({ key_ids: contents.keys.map((k) => k.id), format: contents.format }, 'keyring imported');
    this.#saveBlob();
    await this.#tellPeers((p) => p.distribute(contents.keys));
    if (this.keyring.activeId) await this.#tellPeers((p) => p.activated(this.keyring.activeId as string));
    return { ids: this.keyring.ids(), ...(this.keyring.activeId ? { active: this.keyring.activeId } : {}) };
  }

  /** `origin`: `kong` for a key taken from a Kong database (its `$ke$1$` values are read under it). */
  async importRaw(id: string, material: Buffer, origin: KeyOrigin): Promise<void> {
    if (!KEY_ID.test(id)) throw badParam('id must be 1 to 64 characters of [A-Za-z0-9_.~]');
    if (material.length !== 32) throw badParam('key must be 32 bytes');
    const key: DataKey = { id, key: new Secret(material), origin };
    await this.store.locked(async (tx) => {
      assertNoConflict(this.keyring, await this.store.known(tx), [key]);
      await this.#persist(tx, key);
    });
    this.keyring.add(key);
    this.#saveBlob();
    await this.#tellPeers((p) => p.distribute([key]));
  }

  /**
   * Decrypts every `keyring_keys` row with the recovery private key (ours and Kong's formats),
   * adds what it can, and, unlike Kong, re-activates the cluster's active key at once.
   */
  /**
   * `acceptUnauthenticated`: also recover rows without a valid MAC (a Kong database, or rows
   * written by nodes without `keyring_cluster_secret`); the operator vouches for them.
   */
  async recover(pem: string, acceptUnauthenticated = false): Promise<RecoverResult> {
    let privateKey;
    try {
      privateKey = parsePrivateKeyPem(pem);
    } catch (err) {
      throw badParam((err as RsaKeyError).message);
    }
    const fingerprint = publicKeyFingerprint(privateKey);
    const recovered: string[] = [];
    const notRecovered: string[] = [];
    const meta = new Map((await this.store.rows()).map((r) => [r.id, r]));
    if (!this.settings.clusterSecret) {
      this.logger.warn('keyring recovery without keyring_cluster_secret: keyring_keys rows cannot be authenticated, so a key a database writer added would be recovered too; set keyring_cluster_secret (also on a single node)');
    }
    for (const row of await this.store.recoveryRows()) {
      try {
        if (this.settings.clusterSecret && !acceptUnauthenticated && !recoveryRowAuthentic(this.settings.clusterSecret, row)) {
          throw badParam('its keyring_keys row is not authenticated with keyring_cluster_secret (written by Kong, by a node without the secret, or by someone else); pass accept_unauthenticated=true if you trust it');
        }
        const key = recoveredKey(row, openRecovery(row.key_encrypted, privateKey), meta.get(row.id));
        // A key held here is never replaced (nor its origin): a different key in keyring_keys is
        // a row someone wrote (anyone can encrypt to the recovery public key), not a recovery.
        const held = this.keyring.get(key.id);
        if (held && !sameMaterial(held, key)) throw keyConflict(key.id, 'with different material than its keyring_keys row; the key held here is kept');
        if (!held) this.keyring.add(key);
        if (!isIndexKeyId(row.id)) recovered.push(row.id);
      } catch (err) {
        notRecovered.push(row.id);
        const other = row.recovery_key_id !== fingerprint ? ' (it was backed up to another recovery key)' : '';
        this.logger.warn({ key_id: row.id, reason: (err as Error).message }, `could not recover key ${row.id}${other}`);
      }
    }
    // The operator vouches for the rows as they read now: recovered keys whose row has no valid
    // MAC (Kong's rows, or written before rows were signed) are signed, never as removals.
    if (recovered.length > 0) await this.store.locked(async (tx) => this.#signLegacyRows(tx, await this.store.rows(tx), true));
    await this.syncActive();
    this.#saveBlob();
    await this.#tellPeers((p) => p.distribute([...recovered, INDEX_KEY_ID].flatMap((id) => this.keyring.get(id) ?? [])));
    this.logger.info({ recovered, not_recovered: notRecovered }, 'keyring recovery finished');
    return {
      message: `successfully recovered ${recovered.length} keys`,
      recovered,
      not_recovered: notRecovered,
      active: this.keyring.activeId ?? null,
      index_key: this.keyring.indexKey() !== undefined,
    };
  }

  /** The change is made and stored; peers that miss this announcement resync from the tables. */
  async #tellPeers(fn: (peers: KeyringPeers) => Promise<void>): Promise<void> {
    await fn(this.peers).catch((err: unknown) => this.logger.warn({ err }, 'keyring: could not tell the other nodes; they will resync'));
  }

  /**
   * Signs rows that were never signed, for keys held here: once, when a cluster upgrades to
   * signed rows (no row has a MAC yet), and on recovery (`any`, the operator's call: Kong's rows).
   * The row that says `active` gets the next generation; a removal is never signed.
   */
  async #signLegacyRows(tx: Queryable, rows: readonly MetaRow[], any = false): Promise<void> {
    // A node holding the index key belongs to a cluster whose rows are signed already.
    if (!any && (rows.some((r) => r.mac !== null) || this.keyring.indexKey())) return;
    // Rows never signed only: a row whose MAC is there but wrong was edited, and stays ignored.
    const unsigned = rows.filter((r) => r.mac === null && this.keyring.has(r.id));
    if (unsigned.length === 0) return;
    let next = rows.reduce((max, r) => (r.generation !== null && BigInt(r.generation) > max ? BigInt(r.generation) : max), 0n);
    for (const row of unsigned) {
      const generation = row.state === 'active' ? String(++next) : row.generation;
      await this.store.sign(tx, this.keyring.get(row.id)!, generation);
    }
    this.logger.info({ key_ids: unsigned.map((r) => r.id) }, `keyring: signed ${unsigned.length} keyring_meta rows that had no valid MAC`);
  }

  async #persist(tx: Queryable, key: DataKey): Promise<void> {
    // An id removed earlier may come back by import: its signed tombstone is replaced.
    await this.store.addMeta(tx, key, { revive: true });
    const recovery = this.settings.recoveryPublicKey;
    if (recovery) await this.#saveRecovery(tx, key, recovery, publicKeyFingerprint(recovery));
  }

  async #saveRecovery(tx: Queryable, key: DataKey, recovery: KeyObject, fingerprint: string): Promise<void> {
    const sealed = sealForRecovery(key.key.reveal(), recovery);
    const secret = this.settings.clusterSecret;
    await this.store.saveRecovery(tx, key.id, fingerprint, sealed, secret ? recoveryRowMac(secret, key.id, sealed) : null);
  }

  /** Backs up held keys that have no row for the current recovery key (it was added later). */
  async #backupMissing(): Promise<void> {
    const recovery = this.settings.recoveryPublicKey;
    if (!recovery) return;
    const fingerprint = publicKeyFingerprint(recovery);
    const backed = await this.store.recoveryKeyIds();
    // Also rows without a valid MAC (written before rows were authenticated, or by someone else).
    const secret = this.settings.clusterSecret;
    const missing = this.keyring.all().filter((k) => {
      const row = backed.get(k.id);
      return row?.recovery_key_id !== fingerprint || (secret && !recoveryRowAuthentic(secret, row));
    });
    if (missing.length === 0) return;
    await this.store.locked(async (tx) => {
      for (const key of missing) await this.#saveRecovery(tx, key, recovery, fingerprint);
    });
  }

  #loadBlob(): void {
    const { blobPath, privateKey } = this.settings;
    if (!blobPath || !existsSync(blobPath)) return;
    if (!privateKey) {
      this.logger.warn({ path: blobPath }, 'keyring_blob_path exists but keyring_private_key is not set; not loading it');
      return;
    }
    const contents = importKeyring(readFileSync(blobPath, 'utf8').trim(), privateKey);
    for (const key of contents.keys) this.keyring.add(key);
    this.logger.info({ key_ids: contents.keys.map((k) => k.id), path: blobPath }, 'keyring loaded from keyring_blob_path');
  }

  /** Keeps `keyring_blob_path` (encrypted to keyring_public_key) in step; written atomically. */
  #saveBlob(): void {
    const { blobPath, publicKey } = this.settings;
    if (!blobPath) return;
    if (!publicKey) {
      this.logger.warn('keyring_blob_path is set but keyring_public_key is not; the keyring is not written to it');
      return;
    }
    const tmp = `${blobPath}.tmp-${process.pid}`;
    writeFileSync(tmp, exportKeyring(this.keyring.all(), this.keyring.activeId, publicKey), { mode: 0o600 });
    renameSync(tmp, blobPath);
  }
}

/**
 * A recovered key's origin: what its `keyring_meta` row says if the key verifies the row's MAC;
 * otherwise `kong` only for Kong's own backup format (`$ker$1$`, which Keygate never writes), and
 * `keygate` for anything else, so an edited row cannot make a Keygate key read `$ke$1$` values.
 */
function recoveredKey(row: { id: string; key_encrypted: string }, material: Buffer, meta: MetaRow | undefined): DataKey {
  const bare: DataKey = { id: row.id, key: new Secret(material) };
  if (meta && verifyMeta(bare, meta)) return meta.origin === 'kong' ? { ...bare, origin: 'kong' } : bare;
  return row.key_encrypted.startsWith(RECOVERY_V1) ? { ...bare, origin: 'kong' } : bare;
}
