import type { Bus } from '@keygate/bus';
import type { Config } from '@keygate/config';
import type { Database } from '@keygate/db';
import { coreDefinitions, PluginRegistry, type AuditTrail } from '@keygate/entities';
import type { Logger } from '@keygate/logging';
import { ClusterKeyring } from './cluster/strategy';
import { KeyringExchange } from './cluster/exchange';
import type { Membership } from './cluster/identity';
import { ClusterStore } from './cluster/cluster-store';
import { Members } from './cluster/members';
import { ClusterView } from './cluster/view';
import { noPeers } from './cluster/peers';
import { keyedDigestsExist } from './digests/migrate';
import { Keyring } from './keyring';
import { requestReencryption, ReencryptRuns } from './reencrypt/runs';
import { rowsUsingKey } from './reencrypt/usage';
import { KeyringService, type KeyringMember } from './service';
import { keyringSettings } from './settings';
import { KeyringStore } from './store';
import { VaultKeyring } from './vault';

export interface KeyringNode {
  readonly nodeId: string;
  readonly app: string;
  readonly hostname: string;
  readonly version: string;
}

export interface KeyringOptions {
  readonly config: Config;
  readonly db: Database;
  readonly logger: Logger;
  /**
   * With the node's bus, its description and its membership (identity and admission, which
   * libs/runtime makes at start, joining with a node credential when the node has one), this
   * node joins the cluster keyring exchange.
   */
  readonly member?: { readonly bus: Bus; readonly node: KeyringNode; readonly membership: Membership };
  /**
   * Rewrite unkeyed lookup digests as keyed ones once this node holds the index key (nodes that
   * write entities: admin, keyring-broker). @defaultValue false
   */
  readonly migrateDigests?: boolean;
  /** Where keyring operations are recorded (`audit_log`). @defaultValue nothing recorded */
  readonly audit?: AuditTrail;
}

/**
 * Builds a node's keyring from its parts, each given its collaborators by constructor: the store
 * (the only SQL on keyring tables), the strategy (cluster or vault), and for a cluster member its
 * identity, membership and exchange. Nothing runs until `start()`.
 */
export async function createKeyring(options: KeyringOptions): Promise<KeyringService> {
  const { config, db } = options;
  const settings = keyringSettings(config);
  const logger = options.logger.child({ component: 'keyring' });
  const keyring = new Keyring();
  const store = new KeyringStore(db);
  const runs = new ReencryptRuns(db);
  const definitions = coreDefinitions(new PluginRegistry(config.plugins));
  const clusterStrategy = settings.enabled && settings.strategy === 'cluster';
  const member = clusterStrategy && options.member ? createMember(options, options.member, { keyring, store, logger }) : undefined;
  const cluster = clusterStrategy
    ? new ClusterKeyring({
        settings,
        store,
        keyring,
        logger,
        peers: member?.exchange ?? noPeers,
        // Activation and its re-encryption request commit together (outbox): no job is ever lost.
        onActivation: (tx, keyId, reason) => requestReencryption(tx, runs, keyId, reason).then(() => undefined),
        usageOf: (keyId) => rowsUsingKey(db, definitions, keyId),
        keyedDigestsExist: (tx) => keyedDigestsExist(tx, definitions),
      })
    : undefined;
  const vault = settings.enabled && !clusterStrategy && settings.vault ? new VaultKeyring(settings.vault, keyring, logger) : undefined;
  return new KeyringService({ settings, db, logger, keyring, store, runs, definitions, cluster, vault, member, migrateDigests: options.migrateDigests ?? false, ...(options.audit ? { audit: options.audit } : {}) });
}

/**
 * A keyring member's parts: an ephemeral RSA key pair and signing key (never stored), its
 * `cluster_nodes` row with its admission proof, and the exchange on the bus.
 */
function createMember(options: KeyringOptions, { bus, node, membership }: NonNullable<KeyringOptions['member']>, parts: { keyring: Keyring; store: KeyringStore; logger: Logger }): KeyringMember {
  const { logger } = parts;
  const { identity, admission } = membership;
  logger.info({ fingerprint: identity.fingerprint }, 'keyring member key pair made (in memory only)');
  if (!admission || !identity.proof) {
    logger.error('keyring_cluster_secret is not set and this node did not join with cluster_node_credential: it will not exchange keys with other nodes. Set the same keyring_cluster_secret on the control-plane nodes (keygate cluster up generates one) and enroll data-plane nodes (keygate ott-init).');
  }
  const cluster = new ClusterStore(options.db);
  const members = new Members({ store: cluster, identity, hostname: node.hostname, version: node.version, admission, logger });
  const exchange = new KeyringExchange({
    db: options.db,
    cluster,
    bus,
    keyring: parts.keyring,
    store: parts.store,
    members,
    identity,
    admission,
    logger,
    fetchTimeoutMs: options.config.keyring_fetch_timeout,
  });
  const view = new ClusterView({
    bus,
    members,
    admission,
    selfId: node.nodeId,
    logger,
    self: () => ({ active: parts.keyring.activeId ?? null, key_ids: parts.keyring.ids() }),
  });
  return { bus, members, exchange, view };
}
