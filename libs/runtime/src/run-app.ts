import { ConfigError, loadConfig, quietAwsSdkVersionNotice, type Config, type LoadedConfig, type ReferenceResolver, type SecretReader } from '@keygate/config';
import { readSecretString } from '@keygate/aws';
import { SETTING_CHECKS } from '@keygate/entities';
import { createLogger, type Logger } from '@keygate/logging';
import type { Registry } from 'prom-client';
import { createNodeRegistry } from './metrics';
import { createNodeInfo, type AppName, type NodeInfo } from './node-info';
import { StatusServer } from './status-server';
import { expectSuccessor, type BoundAddress } from './listen';
import { loadListenerTls } from './listener-tls';
import { admitNode, type AdmittedNode } from './join';
import type { Membership } from '@keygate/crypto';

export interface AppContext {
  readonly loaded: LoadedConfig;
  readonly config: Config;
  readonly logger: Logger;
  readonly node: NodeInfo;
  /** This node's identity (ephemeral keys, in memory only) and admission to the cluster. */
  readonly membership: Membership;
  readonly status: StatusServer;
  /** This node's Prometheus registry, served on `status_listen` as `/metrics`. */
  readonly metrics: Registry;
  /**
   * Registers a cleanup (close a pool, a listener...). Cleanups run once, last registered
   * first, when the node stops, and also when start-up fails half way.
   */
  defer(cleanup: () => Promise<void> | void): void;
}

export interface RunAppOptions {
  readonly app: Exclude<AppName, 'cli' | 'node'>;
  /** The configuration file (`-c`, parsed by the caller); default: KONG_CONF, then Kong's paths. */
  readonly conf?: string;
  /** `--aws-kms-secret-name`: settings from AWS Secrets Manager, under the file and `KONG_*` (else `AWS_KMS_SECRET_NAME`). */
  readonly awsKmsSecretName?: string;
  /** Builds the node; everything it opens is registered with `ctx.defer`. */
  readonly start: (ctx: AppContext) => Promise<void>;
  /** Resolves `{vault://...}` settings before validation (wired by the secrets layer). */
  readonly resolveReference?: ReferenceResolver;
  /** How long `stop()` may take before the process exits anyway. */
  readonly stopTimeoutMs?: number;
}

/** How nodes (and `keygate config check`) read `--aws-kms-secret-name` / `AWS_KMS_SECRET_NAME`. */
export const readNodeConfigSecret: SecretReader = (name, aws) => readSecretString(name, aws);

/**
 * The composition root's harness: load and validate the config (exit 1 naming
 * every bad key), make the logger and node identity, start the status server and the app,
 * and stop cleanly once on SIGTERM/SIGINT (exit 0). A second signal exits at once.
 */
export async function runApp(options: RunAppOptions): Promise<void> {
  const { app } = options;
  quietAwsSdkVersionNotice();
  let loaded: LoadedConfig;
  try {
    loaded = await loadConfig({
      ...(options.conf ? { file: options.conf } : {}),
      ...(options.resolveReference ? { resolve: options.resolveReference } : {}),
      awsSecret: { name: options.awsKmsSecretName, read: readNodeConfigSecret },
      checks: SETTING_CHECKS,
    });
  } catch (err) {
    return fail(err instanceof ConfigError ? err.message : `cannot load configuration: ${(err as Error).message}`);
  }

  const node = createNodeInfo(app);
  const logger = createLogger({ level: loaded.config.log_level, bindings: { app, node_id: node.nodeId }, redactValues: loaded.referenceValues() });
  for (const warning of loaded.warnings) logger.warn(warning);
  let admitted: AdmittedNode;
  try {
    admitted = await admitNode(loaded.config, node, logger);
  } catch (err) {
    logger.flush();
    return fail((err as Error).message);
  }
  const status = new StatusServer({ node, listen: loaded.config.status_listen, logger, tls: () => loadListenerTls(loaded.config, 'status', logger).options });
  const metrics = createNodeRegistry(node);
  // Every node's `/metrics`; a proxy replaces it with one that adds its workers'.
  status.addMetrics(() => metrics.metrics());
  const cleanups: Array<() => Promise<void> | void> = [admitted.stop];
  const cleanUp = async () => {
    while (cleanups.length > 0) {
      const cleanup = cleanups.pop()!;
      await Promise.resolve()
        .then(cleanup)
        .catch((err: unknown) => logger.error({ err }, 'error while stopping'));
    }
    await status.stop();
  };

  let stopping: Promise<void> | undefined;
  const stop = (reason: string, exitCode: number) => {
    if (stopping) {
      logger.warn(`${reason} again; exiting immediately`);
      process.exit(exitCode || 1);
    }
    logger.info({ reason }, `stopping ${app}`);
    status.markStopping();
    const timer = setTimeout(() => {
      logger.error(`${app} did not stop within ${options.stopTimeoutMs ?? 15_000} ms; exiting`);
      process.exit(1);
    }, options.stopTimeoutMs ?? 15_000);
    timer.unref();
    stopping = (async () => {
      await cleanUp();
      logger.info(`${app} stopped`);
      logger.flush();
      process.exitCode = exitCode;
      // Give stdout a moment to drain, then leave even if a handle lingers.
      setTimeout(() => process.exit(exitCode), 50).unref();
    })();
  };
  process.on('SIGTERM', () => stop('SIGTERM', 0));
  process.on('SIGINT', () => stop('SIGINT', 0));
  // From the all-in-one node's reload: a successor already serves on this node's listen sockets.
  process.on('SIGQUIT', () => {
    expectSuccessor();
    stop('SIGQUIT (replaced by a successor)', 0);
  });
  // Started by `keygate cluster up` (with an IPC channel): stop when the launcher goes away.
  if (process.connected) process.once('disconnect', () => stop('launcher exited', 0));
  process.on('unhandledRejection', (err) => {
    logger.fatal({ err }, 'unhandled promise rejection');
    stop('fatal error', 1);
  });
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception');
    stop('fatal error', 1);
  });

  try {
    const bound = await status.start();
    // Started by a supervisor (the all-in-one node, `keygate cluster up`): tell it where this
    // node's status is, so roles can share one host without a port plan (status_listen = port 0).
    if (process.send && process.connected) process.send({ type: 'keygate:status', app, urls: bound.map(statusUrl) });
    await options.start({ loaded, config: loaded.config, logger, node, membership: admitted.membership, status, metrics, defer: (cleanup) => cleanups.push(cleanup) });
    status.markStarted();
    logger.info({ version: node.version }, `${app} started`);
  } catch (err) {
    logger.fatal({ err }, `${app} failed to start`);
    logger.flush();
    await cleanUp();
    fail(`${app} failed to start: ${(err as Error).message}`);
    // Whatever start() opened before failing must not keep the process alive.
    setTimeout(() => process.exit(1), 100).unref();
  }
}

function statusUrl(address: BoundAddress): string {
  const host = address.host === '0.0.0.0' ? '127.0.0.1' : address.host === '::' ? '[::1]' : address.host.includes(':') ? `[${address.host}]` : address.host;
  return `${address.tls ? 'https' : 'http'}://${host}:${address.port}`;
}

function fail(message: string): void {
  process.stderr.write(`Error: ${message}\n`);
  process.exitCode = 1;
}
