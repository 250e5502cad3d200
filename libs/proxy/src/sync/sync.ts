import type { Bus } from '@keygate/bus';
import { ENTITY_CHANGES, type EntityChange } from '@keygate/entities';
import type { Logger } from '@keygate/logging';
import { Backoff } from '@keygate/net';
import { ProxyState } from '../state/state';
import { TABLE_NAMES, type Change, type Delta, type Snapshot, type TableName } from '../state/types';
import type { StateLoader } from './loader';

export interface StateSyncOptions {
  readonly loader: StateLoader;
  readonly bus: Bus;
  readonly logger: Logger;
  /** A whole new state (start, resync after a reconnect or a failure). */
  readonly onSnapshot: (snapshot: Snapshot) => void;
  /** Changes to apply in order. */
  readonly onDelta: (delta: Delta) => void;
  /** Backoff of a resync after a failed one. */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
}

const TABLES = new Set<string>(TABLE_NAMES);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Keeps the proxy's state current. At start and after every bus (re)connect it reads everything
 * (a missed NOTIFY is never redelivered); in between, each committed admin write arrives as an
 * `ENTITY_CHANGES` event and only that row is read again. Events that arrive together are read
 * together, one query per table. Work runs one step at a time, in order.
 */
export class StateSync {
  /** The node's copy: new workers start from it. */
  readonly state = new ProxyState();
  lastSync: Date | undefined;
  lastChange: Date | undefined;
  #pending = new Map<string, EntityChange>();
  #chain: Promise<void> = Promise.resolve();
  #flushQueued = false;
  #started = false;
  #stopped = false;
  #retry: NodeJS.Timeout | undefined;
  readonly #backoff: Backoff;

  constructor(private readonly options: StateSyncOptions) {
    this.#backoff = new Backoff({ initialMs: options.retryMinMs ?? 500, maxMs: options.retryMaxMs ?? 10_000 });
  }

  /** Subscribes; call before the bus starts so no change between the first LISTEN and the load is lost. */
  attach(): void {
    this.options.bus.subscribe(ENTITY_CHANGES, (change) => this.#onChange(change));
    this.options.bus.onResync(async () => {
      if (this.#started) await this.resync('bus reconnected');
    });
  }

  /** The first full load; changes heard from now on are applied after it. */
  async load(): Promise<Snapshot> {
    this.#started = true;
    const first = this.#chain.then(() => this.#loadAll('start'));
    // A failed first load fails the start; later steps wait for it either way.
    this.#chain = first.catch(() => undefined);
    await first;
    return this.state.snapshot();
  }

  resync(reason: string): Promise<void> {
    return this.#enqueue(() => this.#loadAll(reason));
  }

  /** Reads the skipped rows again (e.g. when the keyring received a key). */
  retrySkipped(): Promise<void> {
    const { skipped } = this.options.loader;
    if (skipped.size === 0) return Promise.resolve();
    for (const row of skipped.values()) this.#pending.set(`${row.table}:${row.id}`, { entity: row.table, op: 'update', id: row.id });
    return this.#scheduleFlush();
  }

  /** Reads these rows again (e.g. a `{vault://...}` reference they hold has a new value). */
  reload(rows: ReadonlyMap<TableName, readonly string[]>): Promise<void> {
    if (!this.#started || rows.size === 0) return Promise.resolve();
    for (const [table, ids] of rows) for (const id of ids) this.#pending.set(`${table}:${id}`, { entity: table, op: 'update', id });
    return this.#scheduleFlush();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retry);
  }

  #onChange(change: EntityChange): void {
    if (!this.#started || !TABLES.has(change.entity) || !UUID.test(change.id)) return;
    this.#pending.set(`${change.entity}:${change.id}`, change);
    void this.#scheduleFlush();
  }

  #scheduleFlush(): Promise<void> {
    if (this.#flushQueued) return this.#chain;
    this.#flushQueued = true;
    return this.#enqueue(async () => {
      this.#flushQueued = false;
      await this.#flush();
    });
  }

  #enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.#chain.then(async () => {
      if (this.#stopped) return;
      try {
        await step();
        this.#backoff.reset();
      } catch (err) {
        this.#failed(err);
      }
    });
    this.#chain = run;
    return run;
  }

  async #loadAll(reason: string): Promise<void> {
    const started = Date.now();
    // Changes heard before this read are covered by it.
    this.#pending.clear();
    const tables = await this.options.loader.loadAll();
    this.state.replace({ version: this.state.version + 1, ...tables });
    this.lastSync = new Date();
    const counts = this.state.counts();
    this.options.logger.info({ reason, version: this.state.version, ms: Date.now() - started, ...counts, skipped: this.options.loader.skipped.size }, 'proxy: state loaded');
    this.options.onSnapshot(this.state.snapshot());
  }

  async #flush(): Promise<void> {
    if (this.#pending.size === 0) return;
    const batch = [...this.#pending.values()];
    this.#pending.clear();
    const changes: Change[] = [];
    const byTable = new Map<TableName, string[]>();
    // The event names a row, nothing more (anyone who can connect can NOTIFY): whatever its
    // `op` says, the row is read again, and only a row that is really gone is deleted here.
    for (const change of batch) byTable.set(change.entity as TableName, [...(byTable.get(change.entity as TableName) ?? []), change.id]);
    // Parents before children, so a route never arrives before its service in one delta.
    for (const table of TABLE_NAMES) {
      const ids = byTable.get(table);
      if (!ids) continue;
      for (const [id, loaded] of await this.options.loader.loadMany(table, ids)) {
        // Gone, or unreadable now: what was held for it must not keep working.
        if (loaded.found) changes.push({ op: 'put', table, value: loaded.value } as Change);
        else if (this.state.tables[table].has(id)) changes.push({ op: 'delete', table, id } as Change);
      }
    }
    if (changes.length === 0) return;
    const version = this.state.version + 1;
    this.state.apply(changes, version);
    this.lastChange = new Date();
    this.options.logger.debug({ version, changes: changes.map((c) => `${c.op} ${c.table} ${c.op === 'put' ? c.value.id : c.id}`) }, 'proxy: applied changes');
    this.options.onDelta({ version, changes });
  }

  /** A read failed (the database is away): try a full resync with backoff until one succeeds. */
  #failed(err: unknown): void {
    const delay = this.#backoff.next();
    this.options.logger.warn({ err, retry_in_ms: delay }, 'proxy: reading changes failed; serving the state held in memory and resyncing');
    clearTimeout(this.#retry);
    this.#retry = setTimeout(() => void this.resync('retry after a failed read'), delay);
    this.#retry.unref();
  }
}
