import type { Bus } from '@keygate/bus';
import type { Config } from '@keygate/config';
import type { DataKey } from '@keygate/crypto';
import type { Database } from '@keygate/db';
import type { Logger } from '@keygate/logging';
import { ClusterKeyring, type RecoverResult } from './cluster';
import { badParam, keyringDisabled, notReady, strategyOnly } from './errors';
import { Keyring } from './keyring';
import { KeyringFieldProtector, type MissingKeyFetcher } from './protector';
import { keyringSettings, type KeyringSettings } from './settings';
import { KeyringStore } from './store';
import { VaultKeyring } from './vault';
import { KeyringExchange } from './cluster/exchange';
import { createIdentity } from './cluster/identity';
import { Members } from './cluster/members';
import { coreDefinitions, PluginRegistry, type EntityDefinition, type KeySource } from '@keygate/entities';
import { QUEUES, requestJob } from '@keygate/queue';
import { ReencryptRuns, type Run } from './reencrypt/runs';
import { rowsUsingKey } from './reencrypt/usage';
import { describeRun, type RunView } from './reencrypt/view';
import { keyedDigestsExist, migrateDigests } from './digests/migrate';
import { isIndexKeyId } from './index-key';

export interface KeyringNode {
  readonly nodeId: string;
  readonly app: string;
  readonly hostname: string;
  readonly version: string;
}

export interface KeyringServiceOptions {
  readonly config: Config;
  readonly db: Database;
  readonly logger: Logger;
  /** With a bus and a node identity, this node joins the cluster keyring exchange. */
  readonly bus?: Bus;
  readonly node?: KeyringNode;
  readonly fetchMissing?: MissingKeyFetcher;
  /** Ephemeral RSA key size of this member (2048 or 3072). */
  readonly memberKeyBits?: 2048 | 3072;
  /**
   * Rewrite unkeyed lookup digests as keyed ones once this node holds the index key (nodes that
   * write entities: admin, keyring-broker). @defaultValue false
   */
  readonly migrateDigests?: boolean;
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
 * strategy), start-up, status, and the field protector entities encrypt with.
 */
export class KeyringService {
  readonly keyring = new Keyring();
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
  /** Entity definitions: which tables and fields hold encrypted values. */
  readonly definitions: readonly EntityDefinition[];
  readonly #cluster: ClusterKeyring | undefined;
  readonly #vault: VaultKeyring | undefined;
  readonly #logger: Logger;
  readonly #options: KeyringServiceOptions;
  #exchange: KeyringExchange | undefined;
  #members: Members | undefined;
  #membersSeen = 0;

  constructor(options: KeyringServiceOptions) {
    this.#options = options;
    this.settings = keyringSettings(options.config);
    this.#logger = options.logger.child({ component: 'keyring' });
    this.store = new KeyringStore(options.db);
    this.runs = new ReencryptRuns(options.db);
    this.definitions = coreDefinitions(new PluginRegistry(options.config.plugins));
    this.protector = new KeyringFieldProtector(
      this.settings.enabled,
      this.keyring,
      this.#logger,
      options.fetchMissing ?? ((id) => (this.#exchange ? this.#exchange.fetchMissing(id) : Promise.resolve(undefined))),
      { acceptPlaintext: this.settings.acceptPlaintext },
    );
    this.heldKeysProtector = new KeyringFieldProtector(this.settings.enabled, this.keyring, this.#logger, undefined, { acceptPlaintext: this.settings.acceptPlaintext });
    this.keys = {
      has: (id) => this.keyring.has(id),
      onChange: (listener) => this.keyring.onChange(listener),
      fetch: async (id) => (await this.fetchKey(id)) !== undefined,
    };
    if (!this.settings.enabled) return;
    if (this.settings.strategy === 'cluster') {
      this.#cluster = new ClusterKeyring(this.settings, this.store, this.keyring, this.#logger);
      // Activation and its re-encryption request commit together (outbox): no job is ever lost.
      this.#cluster.onActivation = async (tx, keyId, reason) => {
        const runId = await this.runs.create(tx, keyId, reason);
        await requestJob(tx, QUEUES.keyringReencrypt, 'reencrypt', { run_id: runId, target_key_id: keyId, reason }, runId);
      };
      this.#cluster.usageOf = (keyId) => rowsUsingKey(options.db, this.definitions, keyId);
      this.#cluster.keyedDigestsExist = (tx) => keyedDigestsExist(tx, this.definitions);
    }
    else if (this.settings.vault) this.#vault = new VaultKeyring(this.settings.vault, this.keyring, this.#logger);
  }

  /**
   * Asks peers for a key this node lacks (cluster exchange) and waits up to
   * `keyring_fetch_timeout`; undefined, with a warning saying what to do, when none sends it.
   */
  fetchKey(id: string): Promise<DataKey | undefined> {
    return this.#exchange ? this.#exchange.fetchMissing(id) : Promise.resolve(undefined);
  }

  async start(): Promise<void> {
    if (this.#cluster && this.#options.bus && this.#options.node) await this.#joinCluster(this.#options.bus, this.#options.node);
    await this.#cluster?.start();
    await this.#exchange?.resync();
    await this.#vault?.start();
    await this.#afterKeysArrived();
  }

  /** Makes the index key if the cluster has none, then migrates digests written without one. */
  async #afterKeysArrived(): Promise<void> {
    await this.#cluster?.ensureIndexKey();
    if (!this.#options.migrateDigests || !this.keyring.indexKey()) return;
    await migrateDigests(this.#options.db, this.definitions, { protector: this.protector, logger: this.#logger });
  }

  /**
   * Becomes a keyring member: an ephemeral RSA key pair (never stored), a `cluster_nodes` row with
   * its admission proof, a heartbeat, and the exchange on the bus.
   */
  async #joinCluster(bus: Bus, node: KeyringNode): Promise<void> {
    const secret = this.#options.config.keyring_cluster_secret;
    const identity = await createIdentity(node.nodeId, node.app, secret, this.#options.memberKeyBits ?? 2048);
    this.#logger.info({ fingerprint: identity.fingerprint }, 'keyring member key pair made (in memory only)');
    if (!secret) {
      this.#logger.error('keyring_cluster_secret is not set: this node will not exchange keys with other nodes. Set the same keyring_cluster_secret on every node (keygate cluster up generates one).');
    }
    this.#members = new Members({ db: this.#options.db, identity, hostname: node.hostname, version: node.version, secret, logger: this.#logger });
    await this.#members.register({ keyIds: this.keyring.ids(), active: this.keyring.activeId });
    this.#members.startHeartbeat(() => ({ keyIds: this.keyring.ids(), active: this.keyring.activeId }));
    this.#exchange = new KeyringExchange({
      db: this.#options.db,
      bus,
      keyring: this.keyring,
      store: this.store,
      members: this.#members,
      identity,
      secret,
      logger: this.#logger,
      fetchTimeoutMs: this.#options.config.keyring_fetch_timeout,
    });
    this.#exchange.start();
    this.#cluster!.peers = this.#exchange;
    await bus.start();
  }

  /** Leaves the cluster (deletes this member's row); the keys vanish with the process. */
  async stop(): Promise<void> {
    this.#exchange?.stop();
    await this.#members?.stop();
  }

  async status(): Promise<KeyringStatus> {
    const base = { enabled: this.settings.enabled, strategy: this.settings.strategy, ids: this.keyring.ids(), active: this.keyring.activeId ?? null };
    if (!this.#members || !this.#exchange) return base;
    this.#membersSeen = (await this.#members.admittedPeers().catch(() => [])).length + 1;
    return { ...base, members_seen: this.#membersSeen, last_sync: this.#exchange.lastSync?.toISOString() ?? null };
  }

  /** `GET /keyring`: Kong's `{ids, active}`, plus the cluster's ids this node lacks, if any. */
  async view(): Promise<Record<string, unknown>> {
    this.#assertEnabled();
    const missing = this.#cluster ? (await this.store.meta()).map((m) => m.id).filter((id) => !this.keyring.has(id) && !isIndexKeyId(id)) : [];
    const members = this.#members ? (await this.#members.live()).map((m) => ({ node_id: m.node_id, app: m.app, active: m.active_key_id, ids: m.key_ids })) : undefined;
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

  generate(): Promise<DataKey> {
    return this.#clusterOnly().generate();
  }

  activate(id: unknown): Promise<void> {
    return this.#clusterOnly().activate(this.#keyParam(id));
  }

  remove(id: unknown, force?: unknown): Promise<void> {
    return this.#clusterOnly().remove(this.#keyParam(id), force === true || force === 'true');
  }

  /**
   * Removes keys that are no longer active, have been inactive for `graceMs`, and that no row
   * uses any more (`keyring_remove_old_keys_after`, checked after each finished re-encryption).
   */
  async removeRetiredKeys(graceMs: number): Promise<string[]> {
    const cluster = this.#clusterOnly();
    const rows = await this.#options.db.query<{ id: string }>(
      `SELECT id FROM keyring_meta WHERE state = 'alive' AND updated_at < now() - ($1::bigint * interval '1 millisecond')`,
      [graceMs],
    );
    const removed: string[] = [];
    for (const { id } of rows.rows) {
      if (!this.keyring.has(id)) continue;
      const usage = await rowsUsingKey(this.#options.db, this.definitions, id);
      if (Object.keys(usage).length > 0) continue;
      await cluster.remove(id);
      removed.push(id);
    }
    if (removed.length > 0) this.#logger.info({ key_ids: removed }, 'removed keys that no row uses any more (keyring_remove_old_keys_after)');
    return removed;
  }

  /** A scheduled rotation: a new key for every member, then activated (re-encryption follows). */
  async rotate(): Promise<string> {
    const cluster = this.#clusterOnly();
    const key = await cluster.generate();
    await cluster.activate(key.id, 'rotation');
    return key.id;
  }

  /** `POST /keyring/reencrypt`: re-encrypts everything not under the active key. */
  async requestReencrypt(): Promise<RunView> {
    this.#clusterOnly();
    const active = this.activeId();
    const runId = await this.store.locked(async (tx) => {
      const id = await this.runs.create(tx, active, 'manual');
      await requestJob(tx, QUEUES.keyringReencrypt, 'reencrypt', { run_id: id, target_key_id: active, reason: 'manual' }, id);
      return id;
    });
    return this.reencryptView(runId);
  }

  /** `GET /keyring/reencrypt`: the latest run (or `runId`) with its progress. */
  async reencryptView(runId?: string): Promise<RunView> {
    this.#clusterOnly();
    const run: Run | undefined = runId ? await this.runs.get(runId) : await this.runs.latest();
    if (!run) throw badParam('no re-encryption has run yet; it starts when a key is activated (or POST /keyring/reencrypt)');
    const outbox = await this.#options.db.query<{ enqueued_at: Date | null }>('SELECT enqueued_at FROM job_outbox WHERE id = $1', [run.id]);
    return describeRun(run, outbox.rows[0]?.enqueued_at ?? null);
  }

  exportBlob(): string {
    return this.#clusterOnly().exportBlob();
  }

  async import(data: unknown): Promise<{ ids: string[]; active?: string }> {
    const result = await this.#clusterOnly().import(data);
    await this.#afterKeysArrived();
    return result;
  }

  async importRaw(id: unknown, data: unknown, origin?: unknown): Promise<void> {
    await this.#clusterOnly().importRaw(id, data, origin);
    await this.#afterKeysArrived();
  }

  async recover(privateKeyPem: unknown, acceptUnauthenticated?: unknown): Promise<RecoverResult> {
    if (acceptUnauthenticated !== undefined && acceptUnauthenticated !== 'true' && acceptUnauthenticated !== 'false' && typeof acceptUnauthenticated !== 'boolean') {
      throw badParam("'accept_unauthenticated' must be true or false");
    }
    const result = await this.#clusterOnly().recover(privateKeyPem, acceptUnauthenticated === true || acceptUnauthenticated === 'true');
    await this.#afterKeysArrived();
    return { ...result, index_key: this.keyring.indexKey() !== undefined };
  }

  async vaultSync(token: unknown): Promise<void> {
    this.#assertEnabled();
    if (!this.#vault) throw strategyOnly('vault');
    if (token !== undefined && (typeof token !== 'string' || token === '')) throw badParam("'token' must be a non-empty string");
    await this.#vault.sync(token as string | undefined);
  }

  #keyParam(id: unknown): string {
    if (typeof id !== 'string' || id === '') throw badParam("missing 'key' param (the key id)");
    if (isIndexKeyId(id)) throw badParam(`${id} is the index key of lookup digests, not a data key; it is never activated or removed`);
    return id;
  }

  #clusterOnly(): ClusterKeyring {
    this.#assertEnabled();
    if (!this.#cluster) throw strategyOnly('cluster');
    return this.#cluster;
  }

  #assertEnabled(): void {
    if (!this.settings.enabled) throw keyringDisabled();
  }
}
