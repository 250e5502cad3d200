import { createLogger, silentLogger, type Logger } from '@keygate/logging';
import { ProxyWorker, proxyServerFactory, type FromWorker, type ToWorker, type WorkerInit } from '@keygate/proxy';
import { closeServers, expectSuccessor, listenAll, type Server } from '@keygate/runtime';

/**
 * Entry of a proxy worker process (started by the node through node:cluster). It has no
 * configuration and no database: the node sends it the settings and state, then every change.
 */
function runWorker(): void {
  let worker: ProxyWorker | undefined;
  let logger: Logger = silentLogger();
  let servers: Server[] = [];
  let stopping = false;
  const send = (message: FromWorker) => process.send?.(message);

  const start = async (init: WorkerInit) => {
    logger = createLogger({ level: init.logLevel, bindings: { app: 'proxy', node_id: init.nodeId, worker: init.index } });
    try {
      worker = new ProxyWorker(init, logger, send);
      const tls = init.tls;
      // The node logs the bound addresses once; listenAll's own lines would repeat per worker.
      const listening = await listenAll('proxy', init.listen, proxyServerFactory(worker.handler.handle, worker.sni), silentLogger(), tls ? () => tls.defaults : undefined, { http2: true });
      servers = listening.servers;
      logger.debug({ state_version: worker.plane.version }, 'proxy worker serving');
      send({ t: 'ready', bound: listening.bound });
    } catch (err) {
      send({ t: 'failed', message: (err as Error).message });
      process.exitCode = 1;
      process.disconnect?.();
    }
  };

  const stop = async (handover = false) => {
    if (stopping) return;
    stopping = true;
    if (handover) expectSuccessor();
    await closeServers(servers);
    await worker?.close();
    logger.flush();
    process.exit(0);
  };

  process.on('message', (message: ToWorker) => {
    if (message.t === 'init') void start(message);
    else if (message.t === 'stop') void stop(message.handover);
    else void worker?.onMessage(message, send).catch((err: unknown) => logger.error({ err }, 'proxy worker: applying a message failed'));
  });
  // The node went away: nobody keeps this worker's state current any more.
  process.on('disconnect', () => void stop());
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'proxy worker: uncaught exception');
    logger.flush();
    process.exit(1);
  });
}

runWorker();
