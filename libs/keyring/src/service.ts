import type { Bus } from '@keygate/bus';
import type { DataKey, KeyOrigin } from '@keygate/crypto';
import type { Database } from '@keygate/db';
import { noAudit, type AuditTrail, type EntityDefinition, type KeySource } from '@keygate/entities';
import type { Logger } from '@keygate/logging';
import type { ClusterKeyring, RecoverResult } from './cluster/strategy';
import type { KeyringExchange } from './cluster/exchange';
import type { Members } from './cluster/members';
import type { ClusterView } from './cluster/view';
import { badParam, keyringDisabled, notReady, strategyOnly } from './errors';
import type { Keyring } from './keyring';
import { KeyringFieldProtector } from './protector';
import type { KeyringSettings } from './settings';
import type { KeyringStore } from './store';
import type { VaultKeyring } from './vault';
import { requestReencryption, type ReencryptRuns, type Run } from './reencrypt/runs';
import { rowsUsingKey } from './reencrypt/usage';
import { describeRun, type RunView } from './reencrypt/view';
import { migrateDigests } from './digests/migrate';
import { isIndexKeyId } from './index-key';
import { outboxEnqueuedAt } from '@keygate/queue';

/** A keyring member's parts (cluster strategy with a bus). */
export interface KeyringMember {
  readonly bus: Bus;
  readonly members: Members;
  readonly exchange: KeyringExchange;
  /** Read-only: members and their signed reports, for the cluster page. */
  readonly view: ClusterView;
}

/** What `createKeyring` assembles; every collaborator comes in here. */
export interface KeyringParts {
  readonly settings: KeyringSettings;
  readonly db: Database;
  readonly logger: Logger;
  readonly keyring: Keyring;
  readonly store: KeyringStore;
  readonly runs: ReencryptRuns;
  /** Entity definitions: which tables and fields hold encrypted values. */
  readonly definitions: readonly EntityDefinition[];
  readonly cluster: ClusterKeyring | undefined;
  readonly vault: VaultKeyring | undefined;
  readonly member: KeyringMember | undefined;
  readonly migrateDigests: boolean;
  /** Where keyring operations are recorded (audit log); nothing is recorded without it. */
  readonly audit?: AuditTrail;
}

export interface KeyringStatus {
  readonly enabled: boolean;
  readonly strategy: 'cluster' | 'vault';
  /** Key ids only, never material. */
  readonly ids: string[];
  readonly active: string | null;
  /** Admitted members this node saw at its last heartbeat (cluster exchange only). */
  readonly members_seen?: number;
  readonly last_sync?: string | null;
}

/**
 * A node's keyring: the `/keyring` operations (checked against `keyring_enabled` and the
 * strategy; parameters arrive parsed and typed), start-up, status, and the field protector
 * entities encrypt with. Built by `createKeyring`, started by `startKeyring`.
 */
export class KeyringService {
  readonly keyring: Keyring;
  readonly settings: KeyringSettings;
  readonly protector: KeyringFieldProtector;
  /**
   * Reads with the keys held here only, never waiting for peers (the proxy's bulk load: rows
   * under a missing key are skipped and read again when it arrives, see `keys`).
   */
  readonly heldKeysProtector: KeyringFieldProtector;
  /** The keys this node holds, as the domain's `KeySource` port (for other features). */
  readonly keys: KeySource;
  readonly store: KeyringStore;
  readonly runs: ReencryptRuns;
  readonly definitions: readonly EntityDefinition[];
  /** Records each keyring operation (ids only); the re-encryption jobs record theirs here too. */
  readonly audit: AuditTrail;
  readonly #cluster: ClusterKeyring | undefined;
  readonly #vault: VaultKeyring | undefined;
  readonly #member: KeyringMember | undefined;
  readonly #logger: Logger;
  readonly #parts: KeyringParts;
  #membersSeen = 0;

  constructor(parts: KeyringParts) {
    this.#parts = parts;
    ({ keyring: this.keyring, settings: this.settings, store: this.store, runs: this.runs, definitions: this.definitions } = parts);
    this.#cluster = parts.cluster;
    this.#vault = parts.vault;
    this.#member = parts.member;
    this.#logger = parts.logger;
    this.audit = parts.audit ?? noAudit;
    const exchange = parts.member?.exchange;
    const policy = { acceptPlaintext: this.settings.acceptPlaintext };
    this.protector = new KeyringFieldProtector(this.settings.enabled, this.keyring, this.#logger, exchange ? (id) => exchange.fetchMissing(id) : undefined, policy);
    this.heldKeysProtector = new KeyringFieldProtector(this.settings.enabled, this.keyring, this.#logger, undefined, policy);
    this.keys = {
      has: (id) => this.keyring.has(id),
      onChange: (listener) => this.keyring.onChange(listener),
      fetch: async (id) => (await this.fetchKey(id)) !== undefined,
    };
  }

  /**
   * Asks peers for a key this node lacks (cluster exchange) and waits up to
   * `keyring_fetch_timeout`; undefined, with a warning saying what to do, when none sends it.
   */
  fetchKey(id: string): Promise<DataKey | undefined> {
    return this.#member ? this.#member.exchange.fetchMissing(id) : Promise.resolve(undefined);
  }

  /**
   * Joins the cluster (registers this member, heartbeat, exchange on the bus the runtime
   * started), loads or makes the keys, resyncs from the tables, then the index key and digests.
   */
  async start(): Promise<void> {
    if (this.#member) await this.#join(this.#member);
    await this.#cluster?.start();
    await this.#member?.exchange.resync();
    await this.#vault?.start();
    await this.#afterKeysArrived();
  }

  /** Makes the index key if the cluster has none, then migrates digests written without one. */
  async #afterKeysArrived(): Promise<void> {
    await this.#cluster?.ensureIndexKey();
    if (!this.#parts.migrateDigests || !this.keyring.indexKey()) return;
    await migrateDigests(this.#parts.db, this.definitions, { protector: this.protector, logger: this.#logger });
  }

  async #join({ bus, members, exchange }: KeyringMember): Promise<void> {
    await members.register({ keyIds: this.keyring.ids(), active: this.keyring.activeId });
    members.startHeartbeat(() => ({ keyIds: this.keyring.ids(), active: this.keyring.activeId }));
    exchange.start();
    // Its channel is LISTENed before any request goes out, so no answer is missed.
    await bus.ready();
  }

  /**
   * The cluster's members as this node can vouch for them (read-only; admin's cluster page).
   * Undefined unless this node is a cluster keyring member. Listening starts on first use.
   */
  clusterView(): ClusterView | undefined {
    this.#member?.view.start();
    return this.#member?.view;
  }

  /** When this member last resynced from the tables (cluster exchange only). */
  get lastSync(): Date | undefined {
    return this.#member?.exchange.lastSync;
  }

  /** Leaves the cluster (deletes this member's row); the keys vanish with the process. */
  async stop(): Promise<void> {
    this.#member?.exchange.stop();
    this.#member?.view.stop();
    await this.#member?.members.stop();
  }

  async status(): Promise<KeyringStatus> {
    const base = { enabled: this.settings.enabled, strategy: this.settings.strategy, ids: this.keyring.ids(), active: this.keyring.activeId ?? null };
    if (!this.#member) return base;
    this.#membersSeen = (await this.#member.members.admittedPeers().catch(() => [])).length + 1;
    return { ...base, members_seen: this.#membersSeen, last_sync: this.#member.exchange.lastSync?.toISOString() ?? null };
  }

  /** `GET /keyring`: Kong's `{ids, active}`, plus the cluster's ids this node lacks, if any. */
  async view(): Promise<Record<string, unknown>> {
    this.#assertEnabled();
    const missing = this.#cluster ? (await this.store.meta()).map((m) => m.id).filter((id) => !this.keyring.has(id) && !isIndexKeyId(id)) : [];
    // Rows as members recorded them (a moment after each change); this node's own from memory.
    const self = this.#member?.members.nodeId;
    const members = this.#member
      ? (await this.#member.members.live()).map((m) =>
          m.node_id === self ? { node_id: m.node_id, app: m.app, active: this.keyring.activeId ?? null, ids: this.keyring.ids() } : { node_id: m.node_id, app: m.app, active: m.active_key_id, ids: m.key_ids },
        )
      : undefined;
    const usage = this.#cluster ? await this.runs.lastUsage() : undefined;
    return {
      ids: this.keyring.ids(),
      ...(this.keyring.activeId ? { active: this.keyring.activeId } : {}),
      ...(missing.length > 0 ? { missing } : {}),
      // The index key keys lookup digests; it is not a data key, so it is not among `ids`.
      index_key: this.keyring.indexKey() ? 'held' : 'missing',
      ...(members ? { members } : {}),
      // Rows per key and table, as counted by the last finished re-encryption.
      ...(usage ? { usage: usage.usage, usage_counted_at: Math.floor(usage.counted_at.getTime() / 1000) } : {}),
    };
  }

  activeId(): string {
    this.#assertEnabled();
    if (!this.keyring.activeId) throw notReady('no key is active; activate one (POST /keyring/activate)');
    return this.keyring.activeId;
  }

  async generate(): Promise<DataKey> {
    const key = await this.#clusterOnly().generate();
    await this.#record('generate', key.id);
    return key;
  }

  async activate(id: string): Promise<void> {
    await this.#clusterOnly().activate(this.#dataKeyId(id));
    await this.#record('activate', id);
  }

  async remove(id: string, force = false): Promise<void> {
    await this.#clusterOnly().remove(this.#dataKeyId(id), force);
    await this.#record('remove', id, { force });
  }

  /** Key ids and facts only: the audit trail never sees material. */
  #record(operation: string, entityKey?: string, details?: Record<string, string | number | boolean | readonly string[] | null>): Promise<void> {
    return this.audit.record({ subject: 'keyring', operation, ...(entityKey !== undefined ? { entityKey } : {}), ...(details ? { details } : {}) });
  }

  /**
   * Removes keys that are no longer active, have been inactive for `graceMs`, and that no row
   * uses any more (`keyring_remove_old_keys_after`, checked after each finished re-encryption).
   */
  async removeRetiredKeys(graceMs: number): Promise<string[]> {
    const cluster = this.#clusterOnly();
    const removed: string[] = [];
    for (const id of await this.store.inactiveSince(graceMs)) {
      if (!this.keyring.has(id)) continue;
      const usage = await rowsUsingKey(this.#parts.db, this.definitions, id);
      if (Object.keys(usage).length > 0) continue;
      await cluster.remove(id);
      await this.#record('remove', id, { reason: 'keyring_remove_old_keys_after' });
      removed.push(id);
    }
    if (removed.length > 0) this.#logger.info({ key_ids: removed }, 'removed keys that no row uses any more (keyring_remove_old_keys_after)');
    return removed;
  }

  /** A scheduled rotation: a new key for every member, then activated (re-encryption follows). */
  async rotate(): Promise<string> {
    const cluster = this.#clusterOnly();
    const key = await cluster.generate();
    await this.#record('generate', key.id, { reason: 'rotation' });
    await cluster.activate(key.id, 'rotation');
    await this.#record('activate', key.id, { reason: 'rotation' });
    return key.id;
  }

  /** `POST /keyring/reencrypt`: re-encrypts everything not under the active key. */
  async requestReencrypt(): Promise<RunView> {
    this.#clusterOnly();
    const active = this.activeId();
    const runId = await this.store.locked((tx) => requestReencryption(tx, this.runs, active, 'manual'));
    await this.#record('reencrypt-request', runId, { target_key_id: active });
    return this.reencryptView(runId);
  }

  /** `GET /keyring/reencrypt`: the latest run (or `runId`) with its progress. */
  async reencryptView(runId?: string): Promise<RunView> {
    this.#clusterOnly();
    const run: Run | undefined = runId ? await this.runs.get(runId) : await this.runs.latest();
    if (!run) throw badParam('no re-encryption has run yet; it starts when a key is activated (or POST /keyring/reencrypt)');
    return describeRun(run, await outboxEnqueuedAt(this.#parts.db, run.id));
  }

  exportBlob(): string {
    return this.#clusterOnly().exportBlob();
  }

  async import(data: string): Promise<{ ids: string[]; active?: string }> {
    const result = await this.#clusterOnly().import(data);
    await this.#record('import', undefined, { ids: result.ids, active: result.active ?? null });
    await this.#afterKeysArrived();
    return result;
  }

  async importRaw(id: string, material: Buffer, origin: KeyOrigin): Promise<void> {
    await this.#clusterOnly().importRaw(id, material, origin);
    await this.#record('import', id, { origin });
    await this.#afterKeysArrived();
  }

  async recover(privateKeyPem: string, acceptUnauthenticated = false): Promise<RecoverResult> {
    const result = await this.#clusterOnly().recover(privateKeyPem, acceptUnauthenticated);
    await this.#record('recover', undefined, { accept_unauthenticated: acceptUnauthenticated, recovered: result.recovered, not_recovered: result.not_recovered, active: result.active });
    await this.#afterKeysArrived();
    return { ...result, index_key: this.keyring.indexKey() !== undefined };
  }

  async vaultSync(token?: string): Promise<void> {
    await this.requireStrategy('vault').sync(token);
    await this.#record('vault-sync', undefined, { ids: this.keyring.ids(), token_given: token !== undefined });
  }

  /**
   * Throws unless the keyring is on with `strategy`; the Admin API checks this before it parses
   * an endpoint's parameters (a disabled keyring says so whatever was sent).
   */
  requireStrategy(strategy: 'cluster'): ClusterKeyring;
  requireStrategy(strategy: 'vault'): VaultKeyring;
  requireStrategy(strategy: 'cluster' | 'vault'): ClusterKeyring | VaultKeyring {
    this.#assertEnabled();
    const chosen = strategy === 'cluster' ? this.#cluster : this.#vault;
    if (!chosen) throw strategyOnly(strategy);
    return chosen;
  }

  #dataKeyId(id: string): string {
    if (isIndexKeyId(id)) throw badParam(`${id} is the index key of lookup digests, not a data key; it is never activated or removed`);
    return id;
  }

  #clusterOnly(): ClusterKeyring {
    return this.requireStrategy('cluster');
  }

  #assertEnabled(): void {
    if (!this.settings.enabled) throw keyringDisabled();
  }
}
