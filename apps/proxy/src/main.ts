import { join } from 'node:path';
import { startKeyring } from '@keygate/keyring';
import { ProxyNode } from '@keygate/proxy';
import { ListenHandles, successorExpected, listenHandlesFromParent, loadListenerTls, requestListenHandle, protocolOptions, startBus, openDatabases, runApp, type AppContext, parseAppArgs, type AppArgs } from '@keygate/runtime';
import { EntityReferenceResolver, vaultReferences } from '@keygate/vaults';
import { memberSigner, VaultResolverClient } from '@keygate/vaults/client';
import { vaultResolverUrl } from '@keygate/vaults/service';

/**
 * Composition root of a proxy node: the database and bus (state and its changes), the keyring
 * (to decrypt credentials once, at load), the vault-resolver's client (certificates whose key is
 * a `{vault://...}` reference), and the worker processes that serve traffic from memory. The
 * node's own process only supervises them, keeps their state current, runs the upstreams'
 * active health checks and serves `status_listen` (`/status`, `/status/ready`, `/metrics`).
 */
export async function startProxy(ctx: AppContext): Promise<void> {
  const { config, logger } = ctx;
  // Serving from memory does not need the database: its outage does not make the proxy unready.
  const databases = await openDatabases(ctx, { readiness: false });
  const bus = await startBus(ctx, databases.rw);
  const keyring = await startKeyring(ctx, databases.rw, { bus });
  // Read at start, before any worker: a bad `ssl_cert` stops the node with the setting named.
  const tls = config.proxy_listen.some((l) => l.ssl) ? { defaults: loadListenerTls(config, 'proxy', logger).options, protocol: protocolOptions(config) } : undefined;
  const url = vaultResolverUrl(config);
  const vaults = url ? new VaultResolverClient({ url, signer: memberSigner(ctx.membership), timeoutMs: config.vault_resolver_timeout, logger }) : undefined;
  const references = vaults ? new EntityReferenceResolver({ resolve: (reference) => vaults.resolve(reference), logger, intervalMs: config.vault_rotation_interval * 1000 }) : undefined;
  // Under the all-in-one node, which keeps `proxy_listen`'s sockets: this process passes them on
  // to its workers (asked of the node once, kept for a worker that replaces one).
  const handles = listenHandlesFromParent() ? new ListenHandles(requestListenHandle) : undefined;
  if (handles) ctx.defer(() => handles.close());
  const proxy = new ProxyNode({
    config,
    logger,
    node: ctx.node,
    db: databases.rw,
    bus,
    protector: keyring.heldKeysProtector,
    keys: keyring.keys,
    workerScript: join(__dirname, 'worker.js'),
    metrics: ctx.metrics,
    ...(tls ? { tls } : {}),
    ...(handles ? { onWorker: (worker) => handles.serve(worker) } : {}),
    ...(references
      ? {
          resolveReferences: async (entity, label) => {
            const resolved = await references.resolve(entity, label);
            return resolved.ok ? resolved.value : undefined;
          },
        }
      : {}),
  });
  // Subscribed, and LISTENing, before the first load: no change after it is lost.
  proxy.attach();
  if (vaults) {
    vaults.attach(bus);
    // A rotated secret: the certificates using it are read and resolved again, and served at once.
    vaults.onChange((change) => void proxy.referencesChanged('all' in change ? 'all' : new Set(change.references)));
  }
  await bus.ready();

  ctx.defer(() => proxy.stop({ handover: successorExpected() }));
  const bound = await proxy.start();
  for (const { host, port, tls: secure } of bound) {
    ctx.logger.info(
      { listener: 'proxy', address: host, port, workers: config.proxy_workers, ...(secure ? { tls: true } : {}) },
      `proxy listening on ${host}:${port}${secure ? ' (TLS)' : ''} (${config.proxy_workers} workers)`,
    );
  }
  ctx.status.addSection('proxy', () => proxy.status());
  ctx.status.addMetrics(() => proxy.metricsText());
  ctx.status.addReadinessCheck(async () => proxy.notReadyReason());
}

export function main(args: AppArgs = {}): Promise<void> {
  return runApp({ app: 'proxy', ...args, start: startProxy, resolveReference: vaultReferences() });
}

if (require.main === module) void main(parseAppArgs('proxy', process.argv.slice(2)));
