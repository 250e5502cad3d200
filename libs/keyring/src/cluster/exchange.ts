import type { Bus } from '@keygate/bus';
import type { DataKey } from '@keygate/crypto';
import type { Database } from '@keygate/db';
import type { Logger } from '@keygate/logging';
import type { Keyring } from '../keyring';
import type { KeyringStore } from '../store';
import { openEnvelope, sealEnvelope, type Envelope } from './envelopes';
import type { MemberIdentity } from './identity';
import type { AdmittedPeer, Members } from './members';
import { IDS_PER_MESSAGE, KEYRING_CHANNEL, type KeyringMessage } from './messages';
import type { KeyringPeers } from './peers';

export interface ExchangeOptions {
  readonly db: Database;
  readonly bus: Bus;
  readonly keyring: Keyring;
  readonly store: KeyringStore;
  readonly members: Members;
  readonly identity: MemberIdentity;
  readonly logger: Logger;
  /** How long a request for a missing key waits for a peer (`keyring_fetch_timeout`). */
  readonly fetchTimeoutMs: number;
  /** Envelopes not consumed within this are deleted. */
  readonly envelopeTtlMs?: number;
  /** Safety net: how often a member compares its keyring with the tables even without news. */
  readonly reconcileMs?: number;
}

/**
 * The cluster keyring exchange over PostgreSQL LISTEN/NOTIFY. A member that lacks keys asks;
 * an admitted holder wraps each key with the requester's ephemeral public key (RSA-OAEP-SHA256),
 * signs the envelope, stores it and notifies the recipient by id. The recipient checks that the
 * sender is admitted and its signature valid before unwrapping. Changes are announced the same
 * way, and after any reconnect a member resyncs from the tables (a missed NOTIFY is never
 * redelivered).
 */
export class KeyringExchange implements KeyringPeers {
  readonly #waiters = new Map<string, Array<() => void>>();
  #lastSync: Date | undefined;
  #timer: NodeJS.Timeout | undefined;
  #consuming: Promise<void> = Promise.resolve();
  #reported = '';

  constructor(private readonly options: ExchangeOptions) {}

  get lastSync(): Date | undefined {
    return this.#lastSync;
  }

  start(): void {
    const { bus } = this.options;
    bus.subscribe(KEYRING_CHANNEL, (message) => void this.#on(message));
    bus.onResync(() => this.resync());
    this.#timer = setInterval(() => void this.resync().catch(() => undefined), this.options.reconcileMs ?? 10_000);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /**
   * Reads the truth: consumes envelopes waiting for this member, drops keys the cluster removed,
   * asks for keys it lacks, and activates what `keyring_meta` says is active.
   */
  async resync(): Promise<void> {
    await this.#consume();
    const meta = await this.options.store.meta();
    const known = new Set(meta.map((m) => m.id));
    const { keyring } = this.options;
    for (const id of keyring.ids()) if (!known.has(id)) keyring.remove(id);
    const missing = meta.map((m) => m.id).filter((id) => !keyring.has(id));
    if (missing.length > 0) await this.request(missing);
    await this.#applyActive(meta.find((m) => m.state === 'active')?.id);
    this.#lastSync = new Date();
  }

  async request(keyIds: string[] | '*'): Promise<void> {
    if (!this.options.identity.proof) return;
    await this.options.bus.publish(KEYRING_CHANNEL, { type: 'request', from: this.options.identity.nodeId, key_ids: keyIds });
  }

  /** Asks peers for a key and waits up to `keyring_fetch_timeout` for it. */
  async fetchMissing(keyId: string): Promise<DataKey | undefined> {
    const { keyring } = this.options;
    if (keyring.has(keyId)) return keyring.get(keyId);
    const arrived = new Promise<void>((resolve) => {
      const list = this.#waiters.get(keyId) ?? [];
      list.push(resolve);
      this.#waiters.set(keyId, list);
    });
    await this.request([keyId]);
    await Promise.race([arrived, new Promise((resolve) => setTimeout(resolve, this.options.fetchTimeoutMs).unref())]);
    const key = keyring.get(keyId);
    if (!key) this.options.logger.warn({ key_id: keyId }, `no peer sent key ${keyId} within keyring_fetch_timeout; recover (POST /keyring/recover) or import it`);
    return key;
  }

  async distribute(keys: readonly DataKey[]): Promise<void> {
    if (!this.options.identity.proof || keys.length === 0) return;
    for (const peer of await this.options.members.admittedPeers()) await this.#send(peer, keys);
  }

  async activated(id: string): Promise<void> {
    await this.options.bus.publish(KEYRING_CHANNEL, { type: 'activated', from: this.options.identity.nodeId, key_id: id });
    await this.#reportApplied();
  }

  async removed(id: string): Promise<void> {
    await this.options.bus.publish(KEYRING_CHANNEL, { type: 'removed', from: this.options.identity.nodeId, key_id: id });
    await this.#reportApplied();
  }

  async #on(message: KeyringMessage): Promise<void> {
    const me = this.options.identity.nodeId;
    try {
      if (message.type === 'request' && message.from !== me) await this.#answer(message.from, message.key_ids);
      else if (message.type === 'envelopes' && message.to === me) await this.#consume();
      else if (message.type === 'activated' && message.from !== me) {
        // The activation is committed (NOTIFY is delivered on commit): apply it at once when the
        // key is here; otherwise resync asks for it.
        if (this.options.keyring.has(message.key_id)) await this.#applyActive(message.key_id);
        else await this.resync();
      }
      else if (message.type === 'removed' && message.from !== me) {
        this.options.keyring.remove(message.key_id);
        await this.#reportApplied();
      }
    } catch (err) {
      this.options.logger.error({ err, message_type: message.type }, 'keyring exchange: handling a message failed');
    }
  }

  /** A holder answers a request, but only an admitted requester, and only with keys it holds. */
  async #answer(requester: string, keyIds: string[] | '*'): Promise<void> {
    if (!this.options.identity.proof) return;
    const { keyring } = this.options;
    const keys = keyIds === '*' ? keyring.all() : keyIds.flatMap((id) => keyring.get(id) ?? []);
    if (keys.length === 0) return;
    const peer = await this.options.members.admittedPeer(requester);
    if (!peer) return; // logged as refused by Members
    await this.#send(peer, keys);
  }

  async #send(peer: AdmittedPeer, keys: readonly DataKey[]): Promise<void> {
    const envelopes = keys.map((key) => sealEnvelope(key, this.options.identity, peer, this.options.envelopeTtlMs ?? 300_000));
    const stored: string[] = [];
    for (const e of envelopes) {
      const res = await this.options.db.query(
        `INSERT INTO keyring_envelopes (id, recipient_node_id, sender_node_id, key_id, wrapped_key, signature, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (recipient_node_id, key_id) DO NOTHING`,
        [e.id, e.recipient_node_id, e.sender_node_id, e.key_id, e.wrapped_key, e.signature, e.expires_at],
      );
      if (res.rowCount) stored.push(e.id);
    }
    for (let i = 0; i < stored.length; i += IDS_PER_MESSAGE) {
      await this.options.bus.publish(KEYRING_CHANNEL, { type: 'envelopes', to: peer.nodeId, ids: stored.slice(i, i + IDS_PER_MESSAGE) });
    }
    if (stored.length > 0) this.options.logger.debug({ peer_node_id: peer.nodeId, key_ids: keys.map((k) => k.id) }, 'keyring: sent keys');
  }

  /** Serialised: takes every envelope for this member, verifies, adds, deletes. */
  #consume(): Promise<void> {
    this.#consuming = this.#consuming.then(() => this.#consumeNow()).catch((err: unknown) => this.options.logger.error({ err }, 'keyring: consuming envelopes failed'));
    return this.#consuming;
  }

  async #consumeNow(): Promise<void> {
    const { db, identity, keyring, members, logger } = this.options;
    const rows = (await db.query<Envelope & Record<string, unknown>>('SELECT * FROM keyring_envelopes WHERE recipient_node_id = $1', [identity.nodeId])).rows;
    if (rows.length === 0) return;
    for (const row of rows) {
      const sender = await members.admittedPeer(row.sender_node_id);
      try {
        if (!sender) throw new Error('the sender is not an admitted member');
        const key = openEnvelope(row, identity, sender);
        keyring.add(key);
        this.#waiters.get(key.id)?.splice(0).forEach((resolve) => resolve());
      } catch (err) {
        logger.warn({ envelope_id: row.id, sender_node_id: row.sender_node_id, key_id: row.key_id, reason: (err as Error).message }, 'keyring: rejected an envelope');
      }
      await db.query('DELETE FROM keyring_envelopes WHERE id = $1', [row.id]);
    }
    await this.#applyActive(await this.options.store.activeId());
  }

  async #applyActive(active: string | undefined): Promise<void> {
    const { keyring } = this.options;
    if (active && keyring.has(active) && keyring.activeId !== active) keyring.activate(active);
    await this.#reportApplied();
  }

  /** Records and announces this member's keyring view when it changed. */
  async #reportApplied(): Promise<void> {
    const { keyring, identity, members } = this.options;
    const state = { keyIds: keyring.ids(), active: keyring.activeId };
    const fingerprint = `${state.active ?? ''}|${state.keyIds.join(',')}`;
    if (fingerprint === this.#reported) return;
    this.#reported = fingerprint;
    await members.report(state);
    await this.options.bus.publish(KEYRING_CHANNEL, { type: 'applied', node_id: identity.nodeId, active: state.active ?? null, key_ids: state.keyIds });
  }
}
