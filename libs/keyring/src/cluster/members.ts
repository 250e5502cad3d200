import type { KeyObject } from 'node:crypto';
import type { Secret } from '@keygate/crypto';
import type { Database } from '@keygate/db';
import type { Logger } from '@keygate/logging';
import { isAdmitted, parsePublicKey, type MemberIdentity } from './identity';

export interface MemberRow {
  readonly node_id: string;
  readonly app: string;
  readonly hostname: string;
  readonly public_key: string | null;
  readonly admission_proof: string | null;
  readonly key_ids: string[];
  readonly active_key_id: string | null;
  readonly last_seen: Date;
}

export interface AdmittedPeer {
  readonly nodeId: string;
  readonly app: string;
  readonly publicKey: KeyObject;
}

export interface MembersOptions {
  readonly db: Database;
  readonly identity: MemberIdentity;
  readonly hostname: string;
  readonly version: string;
  readonly secret: Secret<string> | undefined;
  readonly logger: Logger;
  /** How often this member refreshes `last_seen`. */
  readonly heartbeatMs?: number;
  /** A member whose heartbeat is older than this is pruned. */
  readonly expireMs?: number;
}

/**
 * Membership in `cluster_nodes`: this node's row (public key, admission proof, its keyring view,
 * heartbeat), pruning of members whose heartbeat stopped, and lookups of *admitted* peers (the
 * proof verifies against this node's own cluster secret; anything else is refused).
 */
export class Members {
  readonly #refusedLogged = new Set<string>();
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: MembersOptions) {}

  get expireMs(): number {
    return this.options.expireMs ?? 30_000;
  }

  async register(state: { keyIds: string[]; active: string | undefined }): Promise<void> {
    const { db, identity } = this.options;
    await db.query(
      `INSERT INTO cluster_nodes (node_id, app, hostname, version, public_key, admission_proof, key_ids, active_key_id, started_at, last_seen)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now(), now())
       ON CONFLICT (node_id) DO UPDATE SET public_key = EXCLUDED.public_key, admission_proof = EXCLUDED.admission_proof, last_seen = now()`,
      [identity.nodeId, identity.app, this.options.hostname, this.options.version, identity.publicKeyPem, identity.proof ?? null, state.keyIds, state.active ?? null],
    );
  }

  /** Heartbeat: refresh `last_seen` and this member's keyring view; prune the dead. */
  startHeartbeat(state: () => { keyIds: string[]; active: string | undefined }): void {
    this.#timer = setInterval(() => {
      void this.beat(state()).catch((err: unknown) => this.options.logger.warn({ err }, 'keyring heartbeat failed'));
    }, this.options.heartbeatMs ?? 5_000);
    this.#timer.unref();
  }

  async beat(state: { keyIds: string[]; active: string | undefined }): Promise<void> {
    const { db, identity } = this.options;
    const updated = await db.query('UPDATE cluster_nodes SET last_seen = now(), key_ids = $2, active_key_id = $3 WHERE node_id = $1', [
      identity.nodeId,
      state.keyIds,
      state.active ?? null,
    ]);
    if (updated.rowCount === 0) await this.register(state);
    await db.query(`DELETE FROM cluster_nodes WHERE last_seen < now() - ($1::int * interval '1 millisecond')`, [this.expireMs]);
    await db.query('DELETE FROM keyring_envelopes WHERE expires_at < now()');
  }

  /** Records this member's keyring view (what `GET /keyring` shows under `members`). */
  async report(state: { keyIds: string[]; active: string | undefined }): Promise<void> {
    await this.options.db.query('UPDATE cluster_nodes SET last_seen = now(), key_ids = $2, active_key_id = $3 WHERE node_id = $1', [
      this.options.identity.nodeId,
      state.keyIds,
      state.active ?? null,
    ]);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.options.db.query('DELETE FROM cluster_nodes WHERE node_id = $1', [this.options.identity.nodeId]).catch(() => undefined);
  }

  async live(): Promise<MemberRow[]> {
    const rows = await this.options.db.query<MemberRow & Record<string, unknown>>(
      `SELECT node_id, app, hostname, public_key, admission_proof, key_ids, active_key_id, last_seen FROM cluster_nodes
       WHERE last_seen >= now() - ($1::int * interval '1 millisecond') ORDER BY started_at, node_id`,
      [this.expireMs],
    );
    return rows.rows;
  }

  /** Live members other than this one whose admission proof verifies. */
  async admittedPeers(): Promise<AdmittedPeer[]> {
    return (await this.live()).filter((row) => row.node_id !== this.options.identity.nodeId).flatMap((row) => this.#admit(row) ?? []);
  }

  async admittedPeer(nodeId: string): Promise<AdmittedPeer | undefined> {
    const row = (await this.options.db.query<MemberRow & Record<string, unknown>>('SELECT * FROM cluster_nodes WHERE node_id = $1', [nodeId])).rows[0];
    return row ? this.#admit(row) : undefined;
  }

  #admit(row: MemberRow): AdmittedPeer | undefined {
    const { secret } = this.options;
    const publicKey = row.public_key ? parsePublicKey(row.public_key) : undefined;
    if (secret && publicKey && isAdmitted(secret, row.node_id, row.public_key as string, row.admission_proof)) {
      return { nodeId: row.node_id, app: row.app, publicKey };
    }
    if (!this.#refusedLogged.has(row.node_id)) {
      this.#refusedLogged.add(row.node_id);
      this.options.logger.warn(
        { peer_node_id: row.node_id, peer_app: row.app, peer_hostname: row.hostname },
        'refused keyring member: its admission proof does not verify (is keyring_cluster_secret the same on every node?)',
      );
    }
    return undefined;
  }
}
