import type { BasicAuthData, Change, ConsumerData, KeyAuthData, PluginData, SniData, Snapshot, TableName, TargetData, Tables } from './types';
import { TABLE_NAMES } from './types';

type Maps = { readonly [T in TableName]: Map<string, Tables[T]> };

/**
 * The entities a proxy serves from, by id, with the lookups the request path needs (credential
 * by HMAC digest, by username; consumer by username). Deleting a consumer, service or route
 * also deletes what the database cascades from it (credentials, plugins), which the admin node
 * announces without events of their own.
 */
export class ProxyState {
  version = 0;
  readonly tables: Maps = {
    services: new Map(),
    routes: new Map(),
    consumers: new Map(),
    plugins: new Map(),
    keyauth_credentials: new Map(),
    basicauth_credentials: new Map(),
    certificates: new Map(),
    snis: new Map(),
    ca_certificates: new Map(),
    upstreams: new Map(),
    targets: new Map(),
  };
  readonly keyAuthByDigest = new Map<string, KeyAuthData>();
  readonly basicAuthByUsername = new Map<string, BasicAuthData>();
  readonly consumersByUsername = new Map<string, ConsumerData>();
  /** consumer id -> `table:id` of what cascades from it. */
  readonly #dependents = new Map<string, Set<string>>();

  static from(snapshot: Snapshot): ProxyState {
    const state = new ProxyState();
    state.replace(snapshot);
    return state;
  }

  replace(snapshot: Snapshot): void {
    for (const table of TABLE_NAMES) this.tables[table].clear();
    this.keyAuthByDigest.clear();
    this.basicAuthByUsername.clear();
    this.consumersByUsername.clear();
    this.#dependents.clear();
    for (const table of TABLE_NAMES) for (const value of snapshot[table]) this.#put(table, value);
    this.version = snapshot.version;
  }

  snapshot(): Snapshot {
    const out: Record<string, unknown> = { version: this.version };
    for (const table of TABLE_NAMES) out[table] = [...this.tables[table].values()];
    return out as unknown as Snapshot;
  }

  /** Applies changes in order; returns the tables that changed (cascades included). */
  apply(changes: readonly Change[], version: number): Set<TableName> {
    const touched = new Set<TableName>();
    for (const change of changes) {
      if (change.op === 'put') this.#put(change.table, change.value, touched);
      else this.#delete(change.table, change.id, touched);
    }
    this.version = version;
    return touched;
  }

  counts(): Record<TableName, number> {
    return Object.fromEntries(TABLE_NAMES.map((t) => [t, this.tables[t].size])) as Record<TableName, number>;
  }

  #put<T extends TableName>(table: T, value: Tables[T], touched?: Set<TableName>): void {
    this.#delete(table, value.id, touched, false);
    (this.tables[table] as Map<string, Tables[T]>).set(value.id, value);
    touched?.add(table);
    switch (table) {
      case 'consumers': {
        const consumer = value as ConsumerData;
        if (consumer.username !== null) this.consumersByUsername.set(consumer.username, consumer);
        break;
      }
      case 'keyauth_credentials': {
        const credential = value as KeyAuthData;
        this.keyAuthByDigest.set(credential.digest, credential);
        this.#depend(credential.consumer_id, table, credential.id);
        break;
      }
      case 'basicauth_credentials': {
        const credential = value as BasicAuthData;
        this.basicAuthByUsername.set(credential.username, credential);
        this.#depend(credential.consumer_id, table, credential.id);
        break;
      }
      case 'plugins': {
        const plugin = value as PluginData;
        for (const parent of [plugin.consumer_id, plugin.service_id, plugin.route_id]) if (parent) this.#depend(parent, table, plugin.id);
        break;
      }
      case 'snis':
        this.#depend((value as SniData).certificate_id, table, value.id);
        break;
      case 'targets':
        this.#depend((value as TargetData).upstream_id, table, value.id);
        break;
    }
  }

  #delete(table: TableName, id: string, touched?: Set<TableName>, cascade = true): void {
    const old = this.tables[table].get(id);
    if (!old) return;
    this.tables[table].delete(id);
    touched?.add(table);
    switch (table) {
      case 'consumers': {
        const consumer = old as ConsumerData;
        if (consumer.username !== null && this.consumersByUsername.get(consumer.username) === consumer) this.consumersByUsername.delete(consumer.username);
        break;
      }
      case 'keyauth_credentials': {
        const credential = old as KeyAuthData;
        if (this.keyAuthByDigest.get(credential.digest) === credential) this.keyAuthByDigest.delete(credential.digest);
        this.#undepend(credential.consumer_id, table, id);
        break;
      }
      case 'basicauth_credentials': {
        const credential = old as BasicAuthData;
        if (this.basicAuthByUsername.get(credential.username) === credential) this.basicAuthByUsername.delete(credential.username);
        this.#undepend(credential.consumer_id, table, id);
        break;
      }
      case 'plugins': {
        const plugin = old as PluginData;
        for (const parent of [plugin.consumer_id, plugin.service_id, plugin.route_id]) if (parent) this.#undepend(parent, table, id);
        break;
      }
      case 'snis':
        this.#undepend((old as SniData).certificate_id, table, id);
        break;
      case 'targets':
        this.#undepend((old as TargetData).upstream_id, table, id);
        break;
    }
    // The database cascades deletes of consumers, services and routes; so do we.
    if (cascade && (table === 'consumers' || table === 'services' || table === 'routes' || table === 'certificates' || table === 'upstreams')) {
      const dependents = this.#dependents.get(id);
      this.#dependents.delete(id);
      for (const key of dependents ?? []) {
        const colon = key.indexOf(':');
        this.#delete(key.slice(0, colon) as TableName, key.slice(colon + 1), touched);
      }
    }
  }

  #depend(parent: string, table: TableName, id: string): void {
    let set = this.#dependents.get(parent);
    if (!set) this.#dependents.set(parent, (set = new Set()));
    set.add(`${table}:${id}`);
  }

  #undepend(parent: string, table: TableName, id: string): void {
    const set = this.#dependents.get(parent);
    set?.delete(`${table}:${id}`);
    if (set?.size === 0) this.#dependents.delete(parent);
  }
}
