import type { Worker } from 'node:cluster';
import { Registry } from 'prom-client';
import type { Bus } from '@keygate/bus';
import type { Config } from '@keygate/config';
import type { Database } from '@keygate/db';
import { coreDefinitions, ENTITY_CHANGES, PluginRegistry, TARGET_HEALTH_ENTITY, type Entity, type EntityDefinition, type FieldProtector, type KeySource } from '@keygate/entities';
import type { KongLogLevel, Logger } from '@keygate/logging';
import { HealthMonitor } from './balancer/monitor';
import { proxySettings } from './http/settings';
import type { WorkerInit } from './workers/protocol';
import { NodeMetrics } from './node-metrics';
import { EntityCompiler } from './state/compile';
import { CredentialHasher } from './state/hasher';
import { TABLE_NAMES, type TableName } from './state/types';
import { StateLoader } from './sync/loader';
import { StateSync } from './sync/sync';
import { WorkerSupervisor } from './workers/supervisor';

export interface ProxyNodeOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly node: { readonly nodeId: string; readonly version: string };
  readonly db: Database;
  readonly bus: Bus;
  /**
   * Decrypts with the keys held here, without waiting for peers: a key this node lacks fails
   * at once, and such rows are read again when it arrives (`keys`).
   */
  readonly protector: FieldProtector;
  readonly keys: KeySource;
  /** The worker entry script (apps/proxy's `worker.js`). */
  readonly workerScript: string;
  /** The node's Prometheus registry (the runtime's); the proxy's metrics join it. */
  readonly metrics?: Registry;
  /** For `ssl` entries of `proxy_listen`: the default certificate and the protocol options. */
  readonly tls?: WorkerInit['tls'];
  /** Resolves `{vault://...}` references in entities (the vault-resolver); undefined when one fails. */
  readonly resolveReferences?: (entity: Entity, label: string) => Promise<Entity | undefined>;
  /** Each worker process as it is forked (the app answers its requests for listen sockets under the all-in-one node). */
  readonly onWorker?: (worker: Worker) => void;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A proxy node: loads the state once (decrypting each credential once), keeps it current from
 * the bus, and runs the workers that serve traffic from it. It owns the only database access of
 * the data plane; the workers get the state over IPC.
 */
export class ProxyNode {
  readonly sync: StateSync;
  readonly loader: StateLoader;
  readonly supervisor: WorkerSupervisor;
  readonly metrics: NodeMetrics;
  readonly health: HealthMonitor;
  readonly #hmacKey: Buffer;
  #unsubscribeKeyring: (() => void) | undefined;

  constructor(private readonly options: ProxyNodeOptions) {
    const { config, logger } = options;
    const registry = new PluginRegistry(config.plugins);
    const { hasher, key } = CredentialHasher.random();
    this.#hmacKey = key;
    const byName = new Map(coreDefinitions(registry).map((d) => [d.name, d]));
    const definitions = new Map<TableName, EntityDefinition>(TABLE_NAMES.map((t) => [t, byName.get(t)!]));
    this.loader = new StateLoader({
      db: options.db,
      protector: options.protector,
      definitions,
      compiler: new EntityCompiler(hasher, registry),
      logger,
      ...(options.resolveReferences ? { resolveReferences: options.resolveReferences } : {}),
    });
    this.supervisor = new WorkerSupervisor({
      count: config.proxy_workers,
      exec: options.workerScript,
      logger,
      ...(options.onWorker ? { onFork: options.onWorker } : {}),
      init: (index) => ({
        t: 'init',
        index,
        nodeId: options.node.nodeId,
        logLevel: config.log_level as KongLogLevel,
        listen: config.proxy_listen,
        hmacKey: this.#hmacKey.toString('base64'),
        settings: proxySettings(config, options.node.version),
        snapshot: this.sync.state.snapshot(),
        health: this.health.map(),
        ...(options.tls ? { tls: options.tls } : {}),
      }),
      onMessage: (message) => {
        if (message.t === 'passive' && UUID.test(message.upstream_id) && typeof message.address === 'string' && typeof message.healthy === 'boolean') {
          this.health.report(message.upstream_id, message.address, message.healthy, 'passive check');
        }
      },
    });
    this.sync = new StateSync({
      loader: this.loader,
      bus: options.bus,
      logger,
      onSnapshot: (snapshot) => {
        this.supervisor.broadcast({ t: 'snapshot', snapshot });
        this.health.refresh();
      },
      onDelta: (delta) => {
        this.supervisor.broadcast({ t: 'delta', delta });
        this.health.refresh();
      },
    });
    const metricsRegistry = options.metrics ?? new Registry();
    this.health = new HealthMonitor({
      state: this.sync.state,
      db: options.db,
      nodeId: options.node.nodeId,
      logger,
      registry: metricsRegistry,
      broadcast: (health) => this.supervisor.broadcast({ t: 'health', health }),
    });
    this.metrics = new NodeMetrics(metricsRegistry, this.sync, this.loader, this.supervisor);
  }

  /** Subscribes to changes; call before the bus starts. */
  attach(): void {
    this.sync.attach();
    // Operators' PUT .../healthy|unhealthy: the event names the upstream; the table says what was set.
    this.options.bus.subscribe(ENTITY_CHANGES, (change) => {
      if (change.entity === TARGET_HEALTH_ENTITY && UUID.test(change.id)) void this.health.loadOverrides([change.id]);
    });
    this.options.bus.onResync(async () => this.health.loadOverrides());
    this.#unsubscribeKeyring = this.options.keys.onChange((change) => {
      if (change.type === 'added') void this.sync.retrySkipped();
    });
  }

  /** First full load, then the workers; resolves with the addresses they listen on. */
  async start(): Promise<ReadonlyArray<{ host: string; port: number; tls?: boolean }>> {
    await this.sync.load();
    // Rows under keys this node lacks: ask peers once (a warning names each key nobody sent);
    // when one arrives, the rows are read again (`attach`).
    for (const keyId of this.loader.missingKeys()) void this.options.keys.fetch(keyId);
    this.health.start();
    return this.supervisor.start();
  }

  /** `{vault://...}` references got new values: the rows holding them are read (and resolved) again. */
  referencesChanged(references: ReadonlySet<string> | 'all'): Promise<void> {
    return this.sync.reload(this.loader.usingReferences(references));
  }

  status(): Record<string, unknown> {
    const workers = this.supervisor.status();
    return {
      workers: { configured: this.options.config.proxy_workers, ready: workers.filter((w) => w.ready).length, list: workers },
      state: {
        version: this.sync.state.version,
        last_sync: this.sync.lastSync?.toISOString() ?? null,
        last_change: this.sync.lastChange?.toISOString() ?? null,
        entities: this.sync.state.counts(),
        // The first 100 (a missing key can make a whole table unreadable); the total beside them.
        skipped: [...this.loader.skipped.values()].slice(0, 100),
        skipped_total: this.loader.skipped.size,
        db_queries: this.loader.queries,
      },
      upstreams: { targets: this.health.rows(), health_transitions: this.health.transitions },
    };
  }

  /** Ready while at least one worker serves (a crashed one is being replaced meanwhile). */
  async notReadyReason(): Promise<string | undefined> {
    return this.supervisor.status().some((w) => w.ready) ? undefined : 'no proxy worker is serving';
  }

  async metricsText(): Promise<string> {
    return this.metrics.text(await this.supervisor.metrics());
  }

  /** `handover`: the node is being replaced on the same listen sockets (see WorkerSupervisor). */
  async stop(options: { handover?: boolean } = {}): Promise<void> {
    this.#unsubscribeKeyring?.();
    this.sync.stop();
    await this.supervisor.stop(options);
    await this.health.stop();
  }
}
