import type { Logger } from '@keygate/logging';
import { Router } from '@keygate/router';
import { PluginIndex } from '../plugins/index-plugins';
import { ProxyState } from './state';
import { Balancers } from '../balancer/balancers';
import type { SniIndex } from '../tls/sni';
import { TABLE_NAMES, type Delta, type RouteData, type Snapshot, type TableName } from './types';

/**
 * A worker's view of the state: the entities, the router built from routes (of enabled
 * services) and the plugin index. Both are rebuilt only when their inputs change; requests
 * only read them.
 */
export class DataPlane {
  readonly state = new ProxyState();
  router: Router<RouteData> = new Router([]);
  plugins: PluginIndex;

  constructor(
    snapshot: Snapshot,
    private readonly logger: Logger,
    /** Called after routes or services changed (e.g. to close pools of services that are gone). */
    private readonly onServices: () => void = () => undefined,
    /** Called after ca_certificates changed. */
    private readonly onCaCertificates: () => void = () => undefined,
    /** Upstreams' balancers, rebuilt when upstreams or targets change. */
    readonly balancers: Balancers = new Balancers(() => undefined),
    /** Certificates by SNI, on a worker that serves TLS. */
    readonly sni?: SniIndex,
  ) {
    this.plugins = new PluginIndex([], logger);
    this.replace(snapshot);
  }

  get version(): number {
    return this.state.version;
  }

  replace(snapshot: Snapshot): void {
    this.state.replace(snapshot);
    this.#rebuild(new Set<TableName>(TABLE_NAMES));
  }

  apply(delta: Delta): void {
    if (delta.version <= this.state.version) return;
    this.#rebuild(this.state.apply(delta.changes, delta.version));
  }

  #rebuild(touched: Set<TableName>): void {
    if (touched.has('routes') || touched.has('services')) {
      const { services } = this.state.tables;
      const routes = [...this.state.tables.routes.values()].filter((r) => r.service_id === null || services.get(r.service_id)?.enabled !== false);
      this.router = new Router(routes);
      for (const rejected of this.router.rejected) this.logger.warn({ route_id: rejected.id, reason: rejected.reason }, 'proxy: a route cannot be used (its regex does not compile)');
      this.onServices();
    }
    if (touched.has('upstreams') || touched.has('targets')) {
      this.balancers.rebuild(this.state);
      this.onServices();
    }
    if (touched.has('ca_certificates')) this.onCaCertificates();
    if (this.sni && (touched.has('certificates') || touched.has('snis'))) this.sni.rebuild(this.state.tables.certificates, this.state.tables.snis.values());
    // Plugin scopes name routes and services, so their changes also reset the per-route cache.
    if (touched.has('plugins') || touched.has('routes') || touched.has('services')) {
      this.plugins = new PluginIndex(this.state.tables.plugins.values(), this.logger);
    }
  }
}
