import type { Bus } from '@keygate/bus';
import type { ClusterAdmission, DataKey } from '@keygate/crypto';
import type { Database, Queryable } from '@keygate/db';
import type { Logger } from '@keygate/logging';
import type { Keyring } from '../keyring';
import { verifiedMeta, verifyMeta, type MetaRow } from '../meta';
import type { KeyringStore } from '../store';
import type { ClusterStore } from './cluster-store';
import { openEnvelope, sealEnvelope } from './envelopes';
import { MessageGuard, type Verified } from './guard';
import type { MemberIdentity } from './identity';
import type { AdmittedPeer, Members } from './members';
import { IDS_PER_MESSAGE, KEYRING_CHANNEL, KEYRING_REPORTS, sealMessage, type CarriedRow, type KeyringMessage } from './messages';
import type { KeyringPeers } from './peers';

/** How long a key sent to a member is not sent to it again on request. */
const ANSWER_AGAIN_MS = 5_000;
/** How long a member's report (message and row) waits, coalescing; it carries its own time. */
const REPORT_DELAY_MS = 50;
/** How long a key no peer sent is not asked for again by reads (resyncs still ask). */
const MISSING_AGAIN_MS = 30_000;

export interface ExchangeOptions {
  readonly db: Database;
  readonly bus: Bus;
  readonly keyring: Keyring;
  readonly store: KeyringStore;
  /** `cluster_nodes` and `keyring_envelopes`. */
  readonly cluster: ClusterStore;
  readonly members: Members;
  readonly identity: MemberIdentity;
  readonly admission: ClusterAdmission | undefined;
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
 * an admitted holder wraps each key with the requester's ephemeral RSA key (RSA-OAEP-SHA256),
 * signs the envelope (Ed25519), stores it and notifies the recipient by id. Every message is
 * signed and fresh (see MessageGuard), and none changes state by itself: an activation or a
 * removal is applied only when `keyring_meta` says the same in a row the key itself vouches for.
 * After any reconnect a member resyncs from the tables (a missed NOTIFY is never redelivered).
 */
export class KeyringExchange implements KeyringPeers {
  readonly guard: MessageGuard;
  readonly #waiters = new Map<string, Array<() => void>>();
  /** Envelopes already opened: a copy put back in the table is not opened twice. */
  readonly #opened = new Map<string, number>();
  readonly #unverifiedLogged = new Set<string>();
  /** Key id -> when a fetch for it last came back empty. */
  readonly #missed = new Map<string, number>();
  /** `member:key` -> when this node last wrapped that key for that member. */
  readonly #answered = new Map<string, number>();
  #lastSync: Date | undefined;
  #timer: NodeJS.Timeout | undefined;
  #consuming: Promise<void> = Promise.resolve();
  #reported = '';
  #pendingReport: { state: { keyIds: string[]; active: string | undefined }; at: number } | undefined;
  #reportTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ExchangeOptions) {
    this.guard = new MessageGuard({
      admission: options.admission,
      selfId: options.identity.nodeId,
      logger: options.logger,
      relevant: (msg) => msg.type !== 'applied' && (msg.type !== 'envelopes' || msg.to === options.identity.nodeId),
    });
  }

  get lastSync(): Date | undefined {
    return this.#lastSync;
  }

  start(): void {
    const { bus } = this.options;
    bus.subscribe(KEYRING_CHANNEL, (wire) => {
      const verified = this.options.identity.proof ? this.guard.open(wire) : undefined;
      if (verified) void this.#on(verified);
    });
    bus.onResync(() => this.resync());
    this.#timer = setInterval(() => void this.resync().catch(() => undefined), this.options.reconcileMs ?? 10_000);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    clearTimeout(this.#reportTimer);
    this.#reportTimer = undefined;
  }

  /**
   * Reads the truth: consumes envelopes waiting for this member, drops keys whose removal a
   * verified row records, asks for keys it lacks, and activates the verified active key.
   */
  async resync(): Promise<void> {
    await this.#consume();
    const { keyring, store, logger } = this.options;
    const verified = verifiedMeta(await store.rows(), (id) => keyring.get(id), keyring.ids());
    for (const id of verified.removed) keyring.remove(id);
    for (const id of verified.unverified) {
      if (this.#unverifiedLogged.has(id)) continue;
      this.#unverifiedLogged.add(id);
      logger.warn({ key_id: id }, `keyring: the keyring_meta row of key ${id} is missing or does not verify (edited?); the key is kept and the row ignored`);
    }
    if (verified.notHeld.length > 0) await this.request(verified.notHeld);
    await this.#applyActive(verified.active);
    this.#lastSync = new Date();
  }

  async request(keyIds: string[] | '*'): Promise<void> {
    const { identity } = this.options;
    if (!identity.proof) return;
    const rsaKey = identity.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const batches = keyIds === '*' ? ['*' as const] : chunks(keyIds, IDS_PER_MESSAGE);
    for (const key_ids of batches) await this.#publish({ type: 'request', key_ids, rsa_key: rsaKey });
  }

  /**
   * Asks peers for a key and waits up to `keyring_fetch_timeout` for it. Only for ids the
   * cluster knows (a row in `keyring_meta`, not removed), and not again for
   * `MISSING_AGAIN_MS` after nobody sent it: rows a database writer plants under made-up key ids
   * must not make every read wait.
   */
  async fetchMissing(keyId: string): Promise<DataKey | undefined> {
    const { keyring, store } = this.options;
    if (keyring.has(keyId)) return keyring.get(keyId);
    const missedAt = this.#missed.get(keyId);
    if (missedAt !== undefined && Date.now() - missedAt < MISSING_AGAIN_MS) return undefined;
    const row = (await store.rows(this.options.db, [keyId]))[0];
    if (!row || row.state === 'tombstoned') return undefined;
    const arrived = new Promise<void>((resolve) => {
      const list = this.#waiters.get(keyId) ?? [];
      list.push(resolve);
      this.#waiters.set(keyId, list);
    });
    await this.request([keyId]);
    await Promise.race([arrived, new Promise((resolve) => setTimeout(resolve, this.options.fetchTimeoutMs).unref())]);
    const key = keyring.get(keyId);
    if (key) this.#missed.delete(keyId);
    else this.#missed.set(keyId, Date.now());
    if (!key) this.options.logger.warn({ key_id: keyId }, `no peer sent key ${keyId} within keyring_fetch_timeout; recover (POST /keyring/recover) or import it`);
    return key;
  }

  async distribute(keys: readonly DataKey[]): Promise<void> {
    if (!this.options.identity.proof || keys.length === 0) return;
    for (const peer of await this.options.members.admittedPeers()) await this.#send(peer, keys);
  }

  /** With the activation's transaction, members hear of it the moment it commits. */
  async activated(id: string, { tx, row }: { tx?: Queryable; row?: MetaRow } = {}): Promise<void> {
    await this.#publish({ type: 'activated', key_id: id, ...carried(row) }, tx);
    if (!tx) await this.#reportApplied();
  }

  /** After the change this node made committed and applied here. */
  async applied(): Promise<void> {
    await this.#reportApplied();
  }

  async removed(id: string, row?: MetaRow): Promise<void> {
    await this.#publish({ type: 'removed', key_id: id, ...carried(row) });
    await this.#reportApplied();
  }

  async #publish(msg: KeyringMessage, tx?: Queryable): Promise<void> {
    if (!this.options.identity.proof) return;
    await this.options.bus.publish(KEYRING_CHANNEL, sealMessage(this.options.identity, msg), tx);
  }

  /** Only verified messages get here; each is a hint checked against the tables. */
  async #on({ from, msg }: Verified): Promise<void> {
    const { members, keyring } = this.options;
    try {
      if (msg.type === 'request') {
        const peer = members.learn(from, msg.rsa_key);
        if (peer) await this.#answer(peer, msg.key_ids);
      }
      else if (msg.type === 'envelopes' && msg.to === this.options.identity.nodeId) {
        members.learn(from);
        await this.#consume();
      }
      else if (msg.type === 'activated') {
        if (keyring.has(msg.key_id)) await this.#checkRow(msg.key_id, msg.row);
        else await this.resync();
      }
      else if (msg.type === 'removed') {
        if (keyring.has(msg.key_id)) await this.#checkRow(msg.key_id, msg.row);
      }
    } catch (err) {
      this.options.logger.error({ err, message_type: msg.type }, 'keyring exchange: handling a message failed');
    }
  }

  /**
   * Applies what the key's own row says (activation or removal), if the row verifies: the row
   * the message carries when its MAC verifies under the key (no read: the fact travelled with
   * the hint), else the row read from `keyring_meta`. Either way only a holder of the key can
   * have written it, and an activation older than the applied one is refused.
   */
  async #checkRow(id: string, carriedRow?: CarriedRow): Promise<void> {
    const { keyring, store, logger } = this.options;
    const key = keyring.get(id);
    const offered = carriedRow ? { id, ...carriedRow } : undefined;
    const row = key && offered && verifyMeta(key, offered) ? offered : (await store.rows(this.options.db, [id]))[0];
    if (!key || !row || !verifyMeta(key, row)) {
      logger.warn({ key_id: id }, `keyring: a change of key ${id} was announced but its keyring_meta row does not confirm it; ignored`);
      return;
    }
    if (row.state === 'tombstoned') keyring.remove(id);
    else if (row.generation !== null && keyring.activeId !== id) await this.#applyActive({ id, generation: BigInt(row.generation) });
    await this.#reportApplied();
  }

  /**
   * A holder answers an admitted requester, only with keys it holds, and each key to the same
   * member at most once per `ANSWER_AGAIN_MS` (a member asks again only if it never got it).
   */
  async #answer(peer: AdmittedPeer, keyIds: string[] | '*'): Promise<void> {
    const { keyring } = this.options;
    const now = Date.now();
    for (const [sent, at] of this.#answered) if (now - at > ANSWER_AGAIN_MS) this.#answered.delete(sent);
    const keys = (keyIds === '*' ? keyring.all() : keyIds.flatMap((id) => keyring.get(id) ?? [])).filter((key) => !this.#answered.has(`${peer.nodeId}:${key.id}`));
    for (const key of keys) this.#answered.set(`${peer.nodeId}:${key.id}`, now);
    if (keys.length > 0) await this.#send(peer, keys);
  }

  async #send(peer: AdmittedPeer, keys: readonly DataKey[]): Promise<void> {
    const envelopes = keys.map((key) => sealEnvelope(key, this.options.identity, peer, this.options.envelopeTtlMs ?? 300_000));
    const stored: string[] = [];
    for (const e of envelopes) if (await this.options.cluster.putEnvelope(e)) stored.push(e.id);
    for (const ids of chunks(stored, IDS_PER_MESSAGE)) await this.#publish({ type: 'envelopes', to: peer.nodeId, ids });
    if (stored.length > 0) this.options.logger.debug({ peer_node_id: peer.nodeId, key_ids: keys.map((k) => k.id) }, 'keyring: sent keys');
  }

  /** Serialised: takes every envelope for this member, verifies, adds, deletes. */
  #consume(): Promise<void> {
    this.#consuming = this.#consuming.then(() => this.#consumeNow()).catch((err: unknown) => this.options.logger.error({ err }, 'keyring: consuming envelopes failed'));
    return this.#consuming;
  }

  async #consumeNow(): Promise<void> {
    const { db, identity, keyring, members, logger, store, cluster } = this.options;
    const rows = await cluster.envelopesFor(identity.nodeId);
    if (rows.length === 0) return;
    const meta = new Map((await store.rows(db, rows.map((r) => r.key_id))).map((m) => [m.id, m]));
    const now = Date.now();
    for (const [id, expiry] of this.#opened) if (expiry < now) this.#opened.delete(id);
    const senders = new Map<string, AdmittedPeer | undefined>();
    for (const row of rows) {
      try {
        if (this.#opened.has(row.id)) throw new Error('this envelope was opened before (a replayed copy)');
        if (!senders.has(row.sender_node_id)) senders.set(row.sender_node_id, await members.admittedPeer(row.sender_node_id));
        const sender = senders.get(row.sender_node_id);
        if (!sender) throw new Error('the sender is not an admitted member');
        const key = openEnvelope(row, identity, sender, now);
        this.#opened.set(row.id, new Date(row.expires_at).getTime());
        const removal = meta.get(key.id);
        // A removed key stays removed: a valid old envelope put back cannot bring it back.
        if (removal?.state === 'tombstoned' && verifyMeta(key, removal)) throw new Error(`key ${key.id} was removed from the keyring`);
        keyring.add(key);
        this.#waiters.get(key.id)?.splice(0).forEach((resolve) => resolve());
      } catch (err) {
        logger.warn({ envelope_id: row.id, sender_node_id: row.sender_node_id, key_id: row.key_id, reason: (err as Error).message }, 'keyring: rejected an envelope');
      }
      await cluster.deleteEnvelope(row.id);
    }
    const verified = verifiedMeta(await store.rows(), (id) => keyring.get(id), keyring.ids());
    await this.#applyActive(verified.active);
  }

  async #applyActive(active: { id: string; generation: bigint } | undefined): Promise<void> {
    const { keyring, logger } = this.options;
    if (active && keyring.has(active.id) && keyring.activeId !== active.id && !keyring.activate(active.id, active.generation)) {
      logger.warn({ key_id: active.id, generation: String(active.generation) }, `keyring: refused to activate ${active.id}: an older activation than the one applied (a replayed row?)`);
    }
    await this.#reportApplied();
  }

  /**
   * Records and announces this member's keyring view when it changed, a moment later and
   * coalesced: the signed report (which says when the change was applied) and the member's row.
   * At an activation every member applies at once, and before PostgreSQL 19 every NOTIFY wakes
   * every listening backend of the database, whatever its channel: ten reports and ten row
   * updates in that instant would slow the members still applying it.
   */
  #reportApplied(): Promise<void> {
    const { keyring } = this.options;
    const state = { keyIds: keyring.ids(), active: keyring.activeId };
    const fingerprint = `${state.active ?? ''}|${state.keyIds.join(',')}`;
    if (fingerprint === this.#reported) return Promise.resolve();
    this.#reported = fingerprint;
    this.#pendingReport = { state, at: performance.timeOrigin + performance.now() };
    if (!this.#reportTimer) {
      this.#reportTimer = setTimeout(() => void this.#sendReport(), REPORT_DELAY_MS);
      this.#reportTimer.unref();
    }
    return Promise.resolve();
  }

  async #sendReport(): Promise<void> {
    this.#reportTimer = undefined;
    const pending = this.#pendingReport;
    this.#pendingReport = undefined;
    if (!pending) return;
    const { identity, bus, members, logger } = this.options;
    const { state, at } = pending;
    try {
      if (identity.proof) await bus.publish(KEYRING_REPORTS, sealMessage(identity, { type: 'applied', active: state.active ?? null, key_ids: state.keyIds, at }));
      await members.report(state);
    } catch (err) {
      logger.warn({ err }, 'keyring: reporting this member’s view failed; the next heartbeat records it');
    }
  }
}

/** The row's authenticated fields, for a message (none without a row). */
function carried(row: MetaRow | undefined): { row?: CarriedRow } {
  return row ? { row: { state: row.state, origin: row.origin, generation: row.generation, mac: row.mac } } : {};
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
