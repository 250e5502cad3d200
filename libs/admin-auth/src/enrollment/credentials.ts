import { randomUUID } from 'node:crypto';
import { constantTimeEqual, formatNodeCredential, Secret } from '@keygate/crypto';
import type { Database, Queryable } from '@keygate/db';
import type { AdminSecrets } from '../secrets';
import { EnrollmentError, idOrNotFound } from './errors';

export interface CredentialRow {
  readonly id: string;
  readonly app: string | null;
  readonly label: string;
  readonly created_at: Date;
  readonly revoked_at: Date | null;
  readonly last_join_at: Date | null;
  readonly last_join_node_id: string | null;
  readonly mac: string;
}

/** What `GET /cluster/credentials` shows: never a secret (the table holds none). */
export interface CredentialView {
  readonly id: string;
  readonly app: string | null;
  readonly label: string;
  readonly created_at: number;
  readonly revoked_at: number | null;
  readonly last_join_at: number | null;
  readonly last_join_node_id: string | null;
  /** False when the row's MAC does not verify (changed outside Keygate): it admits nobody. */
  readonly verified: boolean;
}

const seconds = (d: Date | null) => (d ? Math.floor(d.getTime() / 1000) : null);

/**
 * Per-node admission credentials (`cluster_credentials`). A credential's secret is derived from
 * the cluster secret and the row id, so the table holds none; each row's MAC covers id, app,
 * label and whether it is revoked. A database writer can therefore neither add a credential
 * (no secret to derive, no MAC to make) nor lift a revocation by editing the row.
 */
export class NodeCredentials {
  constructor(
    private readonly db: Database,
    private readonly secrets: AdminSecrets,
  ) {}

  #mac(id: string, app: string | null, label: string, revoked: boolean): string {
    return this.secrets.credentialMac([id, app, label, revoked]);
  }

  /** Issues a credential in `tx`; its text (`kgn1.<id>.<secret>`) is returned once, never stored. */
  async issue(tx: Queryable, input: { app: string | null; label: string }): Promise<{ id: string; credential: Secret<string> }> {
    const id = randomUUID();
    await tx.query('INSERT INTO cluster_credentials (id, app, label, mac) VALUES ($1, $2, $3, $4)', [id, input.app, input.label, this.#mac(id, input.app, input.label, false)]);
    return { id, credential: new Secret(formatNodeCredential(id, this.secrets.nodeCredentialSecret(id))) };
  }

  async list(): Promise<CredentialView[]> {
    const res = await this.db.query<CredentialRow & Record<string, unknown>>('SELECT * FROM cluster_credentials ORDER BY created_at, id');
    return res.rows.map((row) => this.#view(row));
  }

  async get(id: string): Promise<CredentialView> {
    return this.#view(await this.#row(id));
  }

  /** Revokes: the next join with it is refused. The new MAC covers the revocation. */
  async revoke(id: string): Promise<CredentialView> {
    return this.db.transaction(async (tx) => {
      const res = await tx.query<CredentialRow & Record<string, unknown>>('SELECT * FROM cluster_credentials WHERE id = $1 FOR UPDATE', [idOrNotFound(id)]);
      const row = res.rows[0];
      if (!row) throw new EnrollmentError('ENROLLMENT_NOT_FOUND', 'Not found');
      if (!row.revoked_at || !this.#verifies(row)) {
        const updated = await tx.query<CredentialRow & Record<string, unknown>>('UPDATE cluster_credentials SET revoked_at = now(), mac = $2 WHERE id = $1 RETURNING *', [
          row.id,
          this.#mac(row.id, row.app, row.label, true),
        ]);
        return this.#view(updated.rows[0]!);
      }
      return this.#view(row);
    });
  }

  /**
   * The credential `id` if it may join now: its row exists, verifies, and is not revoked.
   * Otherwise a refusal naming which (never which value was expected).
   */
  async admissible(id: string): Promise<{ row: CredentialRow; secret: Secret<Buffer> }> {
    const res = await this.db.query<CredentialRow & Record<string, unknown>>('SELECT * FROM cluster_credentials WHERE id = $1', [id]);
    const row = res.rows[0];
    if (!row) throw new EnrollmentError('NODE_CREDENTIAL_REFUSED', `unknown node credential ${id}`);
    if (!this.#verifies(row)) throw new EnrollmentError('NODE_CREDENTIAL_REFUSED', `node credential ${id} was changed outside Keygate and admits nobody`);
    if (row.revoked_at) throw new EnrollmentError('NODE_CREDENTIAL_REFUSED', `node credential ${id} was revoked`);
    return { row, secret: this.secretOf(id) };
  }

  /** The secret of credential `id` (derived; whether the credential may join is `admissible`). */
  secretOf(id: string): Secret<Buffer> {
    return this.secrets.nodeCredentialSecret(id);
  }

  async recordJoin(id: string, nodeId: string): Promise<void> {
    await this.db.query('UPDATE cluster_credentials SET last_join_at = now(), last_join_node_id = $2 WHERE id = $1', [id, nodeId]);
  }

  #verifies(row: CredentialRow): boolean {
    return typeof row.mac === 'string' && constantTimeEqual(row.mac, this.#mac(row.id, row.app, row.label, row.revoked_at !== null));
  }

  async #row(id: string): Promise<CredentialRow> {
    const res = await this.db.query<CredentialRow & Record<string, unknown>>('SELECT * FROM cluster_credentials WHERE id = $1', [idOrNotFound(id)]);
    if (!res.rows[0]) throw new EnrollmentError('ENROLLMENT_NOT_FOUND', 'Not found');
    return res.rows[0];
  }

  #view(row: CredentialRow): CredentialView {
    return {
      id: row.id,
      app: row.app,
      label: row.label,
      created_at: seconds(row.created_at)!,
      revoked_at: seconds(row.revoked_at),
      last_join_at: seconds(row.last_join_at),
      last_join_node_id: row.last_join_node_id,
      verified: this.#verifies(row),
    };
  }
}
