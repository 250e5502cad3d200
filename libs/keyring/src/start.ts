import type { Registry } from 'prom-client';
import type { Bus } from '@keygate/bus';
import type { Database } from '@keygate/db';
import type { Config } from '@keygate/config';
import type { AuditTrail } from '@keygate/entities';
import type { Logger } from '@keygate/logging';
import { createKeyring, type KeyringNode } from './create';
import type { Membership } from './cluster/identity';
import type { KeyringService } from './service';
import { registerKeyringMetrics } from './metrics';

/** The parts of a node's context the keyring needs (libs/runtime's AppContext fits). */
export interface KeyringNodeContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly node: KeyringNode;
  /** This node's identity and admission (libs/runtime's). */
  readonly membership: Membership;
  readonly status: { addSection(name: string, section: () => unknown): unknown; addReadinessCheck?(check: () => Promise<string | undefined>): unknown };
  /** The node's Prometheus registry: the keyring's metrics join it. */
  readonly metrics?: Registry;
  defer(cleanup: () => Promise<void> | void): void;
}

/**
 * The one way a node starts its keyring: builds it (`createKeyring`), starts it, stops it with
 * the node and shows it in `GET /status` (ids, never material). With the node's bus (started by
 * the runtime), the node is a member of the cluster keyring exchange (cluster strategy): it gets
 * keys from other members and serves them to admitted ones.
 */
export async function startKeyring(ctx: KeyringNodeContext, db: Database, options: { bus?: Bus; migrateDigests?: boolean; audit?: AuditTrail } = {}): Promise<KeyringService> {
  const keyring = await createKeyring({
    config: ctx.config,
    db,
    logger: ctx.logger,
    migrateDigests: options.migrateDigests ?? false,
    ...(options.bus ? { member: { bus: options.bus, node: ctx.node, membership: ctx.membership } } : {}),
    ...(options.audit ? { audit: options.audit } : {}),
  });
  ctx.defer(() => keyring.stop());
  await keyring.start();
  ctx.status.addSection('keyring', () => keyring.status());
  if (ctx.metrics) ctx.defer(registerKeyringMetrics(ctx.metrics, keyring, ctx.logger));
  return keyring;
}
