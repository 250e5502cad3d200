import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Bus } from '@keygate/bus';
import { processEnv, type Config } from '@keygate/config';
import { ENTITY_CHANGES, VaultSchemaRegistry, type EntityDao } from '@keygate/entities';
import type { Queryable } from '@keygate/db';
import type { Logger } from '@keygate/logging';
import type { Membership } from '@keygate/crypto';
import { queueSettings } from '@keygate/queue';
import { loadedBackends } from '../backends';
import type { VaultEntityLookup } from '../directory';
import { changePayloads, VAULT_CHANGES, type VaultChange } from '../events';
import { ReferenceHealthTracker } from './health';
import { SecretRefreshJobs } from './jobs';
import { resolverApi } from './server';
import { SecretResolver } from '../resolver';
import { registerVaultMetrics } from '../metrics';
import { serialised, TableVersion } from './table-version';

/** The parts of a node's context the vault-resolver service needs (libs/runtime's AppContext fits). */
export interface VaultResolverNodeContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly status: { addSection(name: string, section: () => unknown): unknown };
  /** This node's admission: it checks the callers' proofs. */
  readonly membership: Membership;
  /** The node's Prometheus registry: the cache's metrics join it. */
  readonly metrics?: Registry;
  defer(cleanup: () => Promise<void> | void): void;
}

export interface VaultResolverService {
  readonly resolver: SecretResolver;
  readonly jobs: SecretRefreshJobs;
  /** The internal API (`resolverApi`) to serve on `vault_resolver_listen`. */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
}

/**
 * The cluster's secret cache: resolves references for other nodes (one backend call per secret
 * per TTL, however many nodes ask), looks up `/vaults` entities (decrypted by the keyring),
 * refreshes references with a TTL as BullMQ jobs, announces changed values on the bus, and
 * forgets what it resolved through a vault entity when that entity changes.
 */
export async function startVaultResolverService(
  ctx: VaultResolverNodeContext,
  deps: { readonly bus: Bus; readonly vaults: EntityDao; readonly db: Queryable },
): Promise<VaultResolverService> {
  const { config } = ctx;
  const { bus } = deps;
  const logger = ctx.logger.child({ component: 'vaults' });
  const lookup: VaultEntityLookup = async (prefix) => {
    const entity = await deps.vaults.select(prefix);
    return entity && entity.prefix === prefix ? { prefix, name: String(entity.name), config: (entity.config ?? {}) as Record<string, unknown> } : undefined;
  };
  const resolver = new SecretResolver({
    backends: loadedBackends(new VaultSchemaRegistry(config.vaults)),
    vaultOptions: config.vault_options,
    context: { env: processEnv(), aws: config.aws, logger, timeoutMs: config.vault_resolver_timeout },
    entities: lookup,
    intervalMs: config.vault_rotation_interval,
  });
  ctx.defer(() => resolver.close());
  if (ctx.metrics) registerVaultMetrics(ctx.metrics, resolver.cache);

  const publish = (change: VaultChange) =>
    bus.publish(VAULT_CHANGES, change).catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'cannot announce changed references; nodes re-read them when their TTL passes'));
  resolver.onChange((references) => {
    logger.info({ references }, 'vault references have new values');
    for (const payload of changePayloads(references)) void publish(payload);
  });
  // A `/vaults` entity changed: what was resolved through any vault entity is read again. The
  // event is a hint (anyone who can connect can NOTIFY): the table is checked first, once per
  // burst of events, so forged events cannot make every reference go back to its backend.
  const vaultsVersion = new TableVersion(deps.db, 'vaults');
  await vaultsVersion.changed();
  const onVaultsChanged = serialised(async () => {
    if (!(await vaultsVersion.changed())) return;
    const references = resolver.forgetVault();
    if (references.length > 0) for (const payload of changePayloads(references)) void publish(payload);
  }, (err) => logger.warn({ err }, 'cannot check the vaults table after a change event; will check at the next one'));
  bus.subscribe(ENTITY_CHANGES, (change) => {
    if (change.entity === 'vaults') onVaultsChanged();
  });
  bus.onResync(async () => {
    await vaultsVersion.changed();
    resolver.forgetVault();
  });
  await bus.start();

  const jobs = new SecretRefreshJobs({ resolver, queue: queueSettings(config), logger });
  jobs.start();
  ctx.defer(() => jobs.stop());
  ctx.status.addSection('redis', () => jobs.redis.status());
  // Safety net for references without a job schedule (Redis away): this replica re-reads them
  // when they expired, each rotation interval.
  const sweep = setInterval(() => {
    void resolver.refreshDue((references) => !references.some((r) => jobs.isScheduled(r))).catch(() => undefined);
  }, config.vault_rotation_interval);
  sweep.unref();
  ctx.defer(() => clearInterval(sweep));

  ctx.status.addSection('vaults', () => ({
    backends: [...loadedBackends(new VaultSchemaRegistry(config.vaults)).keys()],
    ...resolver.cache.stats(),
    jobs: jobs.status(),
    last_errors: resolver.cache
      .entries()
      .filter((e) => e.last_error)
      .slice(0, 20)
      .map((e) => ({ references: resolver.referencesOf(e.key), message: e.last_error!.message, at: new Date(e.last_error!.at).toISOString() })),
  }));
  const { admission } = ctx.membership;
  if (!admission) logger.error('this vault-resolver is not admitted to the cluster (neither keyring_cluster_secret nor cluster_node_credential is set): it refuses every node until it is');

  const secretOptions = [...loadedBackends(new VaultSchemaRegistry(config.vaults)).values()].flatMap((b) => b.schema.encryptedFields);
  const health = new ReferenceHealthTracker(resolver, { secretOptions });
  const handler = resolverApi({
    resolve: (reference) => health.resolve(reference),
    health: () => ({ generated_at: Date.now(), references: health.report() }),
    admission,
    logger,
    onResolved: (reference, resolution) => {
      if (resolution.ttlMs !== undefined) void jobs.schedule(reference, resolution.ttlMs);
    },
  });
  return { resolver, jobs, handler };
}

/** Where nodes reach the vault-resolver: `vault_resolver_url`, else its first listen address. */
export function vaultResolverUrl(config: Config): string | undefined {
  if (config.vault_resolver_url) return config.vault_resolver_url;
  const first = config.vault_resolver_listen[0];
  if (!first) return undefined;
  const host = first.host === '0.0.0.0' ? '127.0.0.1' : first.host === '::' ? '::1' : first.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${first.port}`;
}
