import type { Database } from '@keygate/db';
import type { Envelope } from './envelopes';
import type { MemberIdentity } from './identity';
import type { MemberRow } from './members';

/** What a member reports of its keyring (ids only). */
export interface MemberView {
  readonly keyIds: string[];
  readonly active: string | undefined;
}

/** The columns of this member's own row, to notice when someone else changed it. */
export interface OwnRow {
  readonly app: string;
  readonly public_key: string | null;
  readonly signing_key: string | null;
  readonly admission_proof: string | null;
}

const ms = "($1::int * interval '1 millisecond')";

/**
 * The SQL of the cluster exchange's tables: `cluster_nodes` (members, their keys, proofs and
 * reports) and `keyring_envelopes` (keys wrapped to one member). Nothing here is trusted as read:
 * callers verify proofs and signatures.
 */
export class ClusterStore {
  constructor(private readonly db: Database) {}

  async register(identity: MemberIdentity, node: { hostname: string; version: string }, view: MemberView): Promise<void> {
    await this.db.query(
      `INSERT INTO cluster_nodes (node_id, app, hostname, version, public_key, signing_key, admission_proof, key_ids, active_key_id, started_at, last_seen)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now(), now())
       ON CONFLICT (node_id) DO UPDATE SET app = EXCLUDED.app, public_key = EXCLUDED.public_key, signing_key = EXCLUDED.signing_key,
         admission_proof = EXCLUDED.admission_proof, last_seen = now()`,
      [identity.nodeId, identity.app, node.hostname, node.version, identity.publicKeyPem, identity.signingKey, identity.proof ?? null, view.keyIds, view.active ?? null],
    );
  }

  /** Refreshes `last_seen` and the report; the row as it now reads (undefined: it was deleted). */
  async touch(nodeId: string, view: MemberView): Promise<OwnRow | undefined> {
    const res = await this.db.query<OwnRow & Record<string, unknown>>(
      'UPDATE cluster_nodes SET last_seen = now(), key_ids = $2, active_key_id = $3 WHERE node_id = $1 RETURNING app, public_key, signing_key, admission_proof',
      [nodeId, view.keyIds, view.active ?? null],
    );
    return res.rows[0];
  }

  /** Drops members whose heartbeat stopped and envelopes nobody consumed in time. */
  async prune(expireMs: number): Promise<void> {
    await this.db.query(`DELETE FROM cluster_nodes WHERE last_seen < now() - ${ms}`, [expireMs]);
    await this.db.query('DELETE FROM keyring_envelopes WHERE expires_at < now()');
  }

  async leave(nodeId: string): Promise<void> {
    await this.db.query('DELETE FROM cluster_nodes WHERE node_id = $1', [nodeId]);
  }

  async live(expireMs: number): Promise<MemberRow[]> {
    const res = await this.db.query<MemberRow & Record<string, unknown>>(
      `SELECT node_id, app, hostname, version, started_at, public_key, signing_key, admission_proof, key_ids, active_key_id, last_seen FROM cluster_nodes
       WHERE last_seen >= now() - ${ms} ORDER BY started_at, node_id`,
      [expireMs],
    );
    return res.rows;
  }

  async member(nodeId: string): Promise<MemberRow | undefined> {
    return (await this.db.query<MemberRow & Record<string, unknown>>('SELECT * FROM cluster_nodes WHERE node_id = $1', [nodeId])).rows[0];
  }

  /** Stores an envelope unless one for that member and key waits already; true if stored. */
  async putEnvelope(e: Envelope): Promise<boolean> {
    const res = await this.db.query(
      `INSERT INTO keyring_envelopes (id, recipient_node_id, sender_node_id, key_id, origin, wrapped_key, signature, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (recipient_node_id, key_id) DO NOTHING`,
      [e.id, e.recipient_node_id, e.sender_node_id, e.key_id, e.origin, e.wrapped_key, e.signature, e.expires_at],
    );
    return (res.rowCount ?? 0) > 0;
  }

  /** Bounded: rows a database writer piles up are worked through a batch at a time. */
  async envelopesFor(nodeId: string, limit = 200): Promise<Envelope[]> {
    return (await this.db.query<Envelope & Record<string, unknown>>('SELECT * FROM keyring_envelopes WHERE recipient_node_id = $1 ORDER BY created_at LIMIT $2', [nodeId, limit])).rows;
  }

  async deleteEnvelope(id: string): Promise<void> {
    await this.db.query('DELETE FROM keyring_envelopes WHERE id = $1', [id]);
  }
}
