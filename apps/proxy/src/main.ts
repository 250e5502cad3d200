import { join } from 'node:path';
import { startKeyring } from '@keygate/keyring';
import { ProxyNode } from '@keygate/proxy';
import { METRICS_CONTENT_TYPE, startBus, openDatabases, runApp, type AppContext, parseAppArgs, type AppArgs } from '@keygate/runtime';
import { vaultReferences } from '@keygate/vaults';

/**
 * Composition root of a proxy node: the database and bus (state and its changes), the keyring
 * (to decrypt credentials once, at load), and the worker processes that serve traffic from
 * memory. The node's own process only supervises them, keeps their state current and serves
 * `status_listen` (`/status`, `/status/ready`, `/metrics`).
 */
export async function startProxy(ctx: AppContext): Promise<void> {
  // Serving from memory does not need the database: its outage does not make the proxy unready.
  const databases = await openDatabases(ctx, { readiness: false });
  const bus = await startBus(ctx, databases.rw);
  const keyring = await startKeyring(ctx, databases.rw, { bus });
  const proxy = new ProxyNode({ config: ctx.config, logger: ctx.logger, node: ctx.node, db: databases.rw, bus, protector: keyring.heldKeysProtector, keys: keyring.keys, workerScript: join(__dirname, 'worker.js'), metrics: ctx.metrics });
  // Subscribed, and LISTENing, before the first load: no change after it is lost.
  proxy.attach();
  await bus.ready();

  ctx.defer(() => proxy.stop());
  for (const entry of ctx.config.proxy_listen.filter((l) => l.ssl)) ctx.logger.warn({ entry: entry.text }, 'proxy: TLS listeners are not supported yet; skipping this entry');
  const bound = await proxy.start();
  for (const { host, port } of bound) {
    ctx.logger.info({ listener: 'proxy', address: host, port, workers: ctx.config.proxy_workers }, `proxy listening on ${host}:${port} (${ctx.config.proxy_workers} workers)`);
  }
  ctx.status.addSection('proxy', () => proxy.status());
  ctx.status.addRoute('/metrics', async (_req, res) => {
    const text = await proxy.metricsText();
    res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE });
    res.end(text);
  });
  ctx.status.addReadinessCheck(async () => proxy.notReadyReason());
}

export function main(args: AppArgs = {}): Promise<void> {
  return runApp({ app: 'proxy', ...args, start: startProxy, resolveReference: vaultReferences() });
}

if (require.main === module) void main(parseAppArgs('proxy', process.argv.slice(2)));
