import type { Logger } from '@keygate/logging';
import { ProxyHandler } from '../http/handler';
import { WorkerMetrics } from '../metrics';
import { DataPlane } from '../state/data-plane';
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

  constructor(
    readonly init: WorkerInit,
    private readonly logger: Logger,
  ) {
    this.plane = new DataPlane(init.snapshot, logger, () => this.handler?.pools.prune(this.plane.state.tables.services.values()));
    const hasher = new CredentialHasher(Buffer.from(init.hmacKey, 'base64'));
    this.handler = new ProxyHandler({ plane: this.plane, hasher, settings: init.settings, metrics: this.metrics, logger });
    this.metrics.stateVersion.set(this.plane.version);
  }

  async onMessage(message: ToWorker, reply: (message: FromWorker) => void): Promise<void> {
    switch (message.t) {
      case 'snapshot':
        this.plane.replace(message.snapshot);
        break;
      case 'delta':
        this.plane.apply(message.delta);
        break;
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
