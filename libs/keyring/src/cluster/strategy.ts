import { newDataKey, newKeyId, Secret, type DataKey, type KeyOrigin } from '@keygate/crypto';
import type { Queryable } from '@keygate/db';
import type { Logger } from '@keygate/logging';
import { exportKeyring, importKeyring } from '../blob';
import { assertNoConflict } from '../conflicts';
import { activeKeyRemoval, badParam, keyInUse, settingMissing, unknownKey } from '../errors';
import { INDEX_KEY_ID, isIndexKeyId } from '../index-key';
import type { Keyring } from '../keyring';
import { verifiedMeta } from '../meta';
import type { KeyringSettings } from '../settings';
import type { KeyringStore } from '../store';
import { KeyBackup } from './backup';
import { BlobFile } from './blob-file';
import { signLegacyRows } from './legacy-rows';
import { noPeers, type KeyringPeers } from './peers';
import type { ActivationHook, ClusterKeyringOptions, KeyUsageCounter } from './options';
import { recoverKeys, type RecoverResult } from './recover';

export type { ActivationHook, ClusterKeyringOptions, KeyUsageCounter } from './options';
export type { RecoverResult } from './recover';

const KEY_ID = /^[A-Za-z0-9_.~]{1,64}$/;

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
  readonly #backup: KeyBackup;
  readonly #blob: BlobFile;

  constructor(options: ClusterKeyringOptions) {
    this.settings = options.settings;
    this.store = options.store;
    this.keyring = options.keyring;
    this.logger = options.logger;
    this.peers = options.peers;
    this.onActivation = options.onActivation;
    this.usageOf = options.usageOf;
    this.keyedDigestsExist = options.keyedDigestsExist;
    this.#backup = new KeyBackup(options.settings, options.store);
    this.#blob = new BlobFile(options.settings, options.keyring, options.logger);
  }

  /**
   * Loads the blob file, generates the first key if the cluster has none (under the keyring lock,
   * so two nodes starting together make one), activates the cluster's active key if held here,
   * and backs up to the recovery key any held key that is not backed up yet.
   */
  async start(): Promise<void> {
    this.#blob.load();
    await this.store.locked(async (tx) => {
      const meta = await this.store.rows(tx);
      if (meta.length > 0) return signLegacyRows(this.store, this.keyring, this.logger, tx, meta);
      const key = { id: newKeyId(), key: new Secret(newDataKey()) };
      await this.#backup.persist(tx, key);
      this.keyring.add(key);
      this.keyring.activate(key.id, BigInt((await this.store.activate(tx, key)).generation));
      this.logger.info({ key_id: key.id }, 'keyring was empty: generated and activated its first key');
      if (!(await this.store.hasKey(tx, INDEX_KEY_ID))) await this.#createIndexKey(tx);
    });
    await this.#tellPeers((p) => p.distribute(this.keyring.all()));
    await this.syncActive();
    await this.#backup.backupMissing(this.keyring.all());
    if (!this.settings.recoveryPublicKey) {
      this.logger.warn('keyring_recovery_public_key is not set: if every node stops, data encrypted with the keyring cannot be recovered');
    }
    this.#blob.save();
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
      this.#blob.save();
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
    await this.#backup.persist(tx, key);
    this.keyring.add(key);
  }

  private async syncActiveHeld(id: string): Promise<void> {
    if (this.keyring.has(id) && this.keyring.activeId !== id) await this.syncActive();
  }

  async generate(): Promise<DataKey> {
    const key = { id: newKeyId(), key: new Secret(newDataKey()) };
    this.keyring.add(key);
    await this.store.locked((tx) => this.#backup.persist(tx, key));
    this.#blob.save();
    await this.#tellPeers((p) => p.distribute([key]));
    return key;
  }

  async activate(id: string, reason: 'activation' | 'rotation' = 'activation'): Promise<void> {
    const key = this.keyring.get(id);
    if (!key) throw unknownKey(id);
    const row = await this.store.locked(async (tx) => {
      const written = await this.store.activate(tx, key);
      // Sent with the COMMIT, as the row's promotion is (one round trip): the re-encryption request
      // and the announcement every member hears, with the row, the moment it commits.
      tx.commitWith(Promise.all([this.onActivation(tx, id, reason), this.peers.activated(id, { tx, row: written })]));
      return written;
    });
    this.keyring.activate(id, BigInt(row.generation));
    this.#blob.save();
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
    const tombstone = await this.store.locked(async (tx) => {
      const active = await this.store.activeId(tx);
      if (active === id || this.keyring.activeId === id) throw activeKeyRemoval(id);
      return this.store.remove(tx, key);
    });
    this.keyring.remove(id);
    this.#blob.save();
    await this.#tellPeers((p) => p.removed(id, tombstone));
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
      for (const key of contents.keys) await this.#backup.persist(tx, key);
      const active = contents.keys.find((k) => k.id === contents.active);
      if (active && this.keyring.activeId !== active.id) {
        generation = BigInt((await this.store.activate(tx, active)).generation);
        await this.onActivation(tx, active.id, 'activation');
      }
    });
    for (const key of contents.keys) this.keyring.add(key);
    if (contents.active && this.keyring.has(contents.active)) this.keyring.activate(contents.active, generation);
    this.logger.info({ key_ids: contents.keys.map((k) => k.id), format: contents.format }, 'keyring imported');
    this.#blob.save();
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
      await this.#backup.persist(tx, key);
    });
    this.keyring.add(key);
    this.#blob.save();
    await this.#tellPeers((p) => p.distribute([key]));
  }

  /**
   * Recovers every key it can from `keyring_keys` with the recovery private key (`recover.ts`)
   * and, unlike Kong, re-activates the cluster's active key at once.
   */
  async recover(pem: string, acceptUnauthenticated = false): Promise<RecoverResult> {
    const { recovered, notRecovered } = await recoverKeys({ settings: this.settings, store: this.store, keyring: this.keyring, logger: this.logger }, pem, acceptUnauthenticated);
    // The operator vouches for the rows as they read now: recovered keys whose row has no valid
    // MAC (Kong's rows, or written before rows were signed) are signed, never as removals.
    if (recovered.length > 0) await this.store.locked(async (tx) => signLegacyRows(this.store, this.keyring, this.logger, tx, await this.store.rows(tx), true));
    await this.syncActive();
    this.#blob.save();
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
}
