import { randomBytes } from 'node:crypto';
import type { Config, LoadedConfig } from '@keygate/config';
import { joinProof, newJoinKeyPair, openJoinAnswer, parseNodeCredential, Secret, type JoinAnswer, type JoinClaim } from '@keygate/crypto';
import type { Logger } from '@keygate/logging';
import { retry } from '@keygate/net';
import type { NodeInfo } from './node-info';

/** The join was refused or could not be made; the node must not start. */
export class NodeJoinError extends Error {
  readonly code = 'NODE_JOIN';
}

/** A refusal from the Admin API (4xx): retrying cannot help. */
class Refused extends NodeJoinError {}

export interface JoinOptions {
  /** Per request. @defaultValue 10000 */
  readonly timeoutMs?: number;
  /** Attempts while the Admin API cannot be reached or answers 5xx. @defaultValue 5 */
  readonly attempts?: number;
}

/**
 * A node started with `cluster_node_credential` and no `keyring_cluster_secret` joins: it proves
 * its credential to the Admin API at `cluster_control_plane` (`POST /cluster/join`) and gets the
 * cluster secret sealed to a key made for this one request. The secret stays in memory: the
 * returned configuration is `loaded` with it set. Other nodes are returned unchanged.
 */
export async function joinWithNodeCredential(loaded: LoadedConfig, node: NodeInfo, logger: Logger, options: JoinOptions = {}): Promise<LoadedConfig> {
  const { config } = loaded;
  if (!config.cluster_node_credential || config.keyring_cluster_secret) return loaded;
  const credential = parseNodeCredential(config.cluster_node_credential.reveal());
  if (!credential) throw new NodeJoinError('cluster_node_credential: expected kgn1.<id>.<secret> as printed by keygate ott-init');
  if (!config.cluster_control_plane) throw new NodeJoinError('cluster_node_credential is set but cluster_control_plane (the Admin API URL to join through) is not');
  const url = `${config.cluster_control_plane.replace(/\/+$/, '')}/cluster/join`;
  const keys = newJoinKeyPair();
  const claim: JoinClaim = { credential_id: credential.id, node_id: node.nodeId, app: node.app, hostname: node.hostname.slice(0, 255), public_key: keys.publicKey, ts: Date.now(), nonce: randomBytes(16).toString('base64url') };
  const body = JSON.stringify({ ...claim, proof: joinProof(credential.secret, claim) });
  const answer = await retry(
    async () => {
      let res: Response;
      try {
        res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
      } catch (err) {
        throw new NodeJoinError(`cannot reach the Admin API at ${config.cluster_control_plane} to join (${(err as Error).message})`);
      }
      const parsed = (await res.json().catch(() => ({}))) as { message?: unknown } & Partial<JoinAnswer>;
      if (res.status === 429) throw new NodeJoinError(`the Admin API at ${config.cluster_control_plane} is rate limiting joins from this address`);
      if (res.status >= 400 && res.status < 500) throw new Refused(`the Admin API at ${config.cluster_control_plane} refused this node's join: ${typeof parsed.message === 'string' ? parsed.message : `HTTP ${res.status}`}`);
      if (res.status !== 200) throw new NodeJoinError(`the Admin API at ${config.cluster_control_plane} answered the join with HTTP ${res.status}`);
      return parsed as JoinAnswer;
    },
    { attempts: options.attempts ?? 5, retryable: (err) => !(err instanceof Refused), onRetry: (err, { attempt }) => logger.warn({ attempt, err: (err as Error).message }, 'join: retrying') },
  );
  let clusterSecret: Secret<string>;
  try {
    clusterSecret = openJoinAnswer(credential.secret, claim, keys.privateKey, answer);
  } catch {
    throw new NodeJoinError(`the answer from ${config.cluster_control_plane} does not open with this node's credential (not sealed for it): refusing it`);
  }
  logger.info({ credential_id: credential.id }, 'joined the cluster with this node’s credential; the cluster secret is held in memory only');
  return Object.freeze({ ...loaded, config: Object.freeze({ ...config, keyring_cluster_secret: clusterSecret }) as Config, referenceValues: () => [...loaded.referenceValues(), clusterSecret.reveal()] });
}
