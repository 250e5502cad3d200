import type { Logger } from '@keygate/logging';
import { ProxyHandler } from '../http/handler';
import { WorkerMetrics } from '../metrics';
import { Balancers } from '../balancer/balancers';
import { DataPlane } from '../state/data-plane';
import { SniIndex } from '../tls/sni';
import { CredentialHasher } from '../state/hasher';
import type { FromWorker, ToWorker, WorkerInit } from './protocol';

/**
 * One worker process's data plane: the state it got from the node, the request handler, its
 * metrics. It applies the node's snapshots and deltas in the order they arrive.
 */
export class ProxyWorker {
  readonly metrics = new WorkerMetrics();
  readonly plane: DataPlane;
  readonly handler: ProxyHandler;

  readonly balancers: Balancers;
  readonly sni: SniIndex | undefined;

  constructor(
    readonly init: WorkerInit,
    private readonly logger: Logger,
    /** Sends a message to the node (passive health transitions). */
    send: (message: FromWorker) => void = () => undefined,
  ) {
    this.balancers = new Balancers((upstream_id, address, healthy) => send({ t: 'passive', upstream_id, address, healthy }));
    this.balancers.setHealth(init.health);
    this.sni = init.tls ? new SniIndex(init.tls.protocol, logger) : undefined;
    this.plane = new DataPlane(init.snapshot, logger, () => this.#prunePools(), () => this.handler?.pools.dropVerified(), this.balancers, this.sni);
    const hasher = new CredentialHasher(Buffer.from(init.hmacKey, 'base64'));
    this.handler = new ProxyHandler({ plane: this.plane, hasher, settings: init.settings, metrics: this.metrics, logger });
    this.metrics.stateVersion.set(this.plane.version);
  }

  /** Pools of services and of the targets of upstreams services name are kept; the others close. */
  #prunePools(): void {
    if (!this.handler) return;
    const { services, targets, upstreams } = this.plane.state.tables;
    const byName = new Map([...upstreams.values()].map((u) => [u.name, u.id]));
    this.handler.pools.prune(services.values(), (service) => {
      const id = byName.get(service.host);
      return id ? [...targets.values()].filter((t) => t.upstream_id === id) : [];
    });
  }

  async onMessage(message: ToWorker, reply: (message: FromWorker) => void): Promise<void> {
    switch (message.t) {
      case 'snapshot':
        this.plane.replace(message.snapshot);
        break;
      case 'delta':
        this.plane.apply(message.delta);
        break;
      case 'health':
        this.balancers.setHealth(message.health);
        return;
      case 'metrics':
        reply({ t: 'metrics', id: message.id, metrics: await this.metrics.registry.getMetricsAsJSON() });
        return;
      default:
        return;
    }
    this.metrics.stateVersion.set(this.plane.version);
    this.logger.debug({ version: this.plane.version }, 'proxy worker: state applied');
    reply({ t: 'applied', version: this.plane.version });
  }

  close(): Promise<void> {
    return this.handler.pools.close();
  }
}
