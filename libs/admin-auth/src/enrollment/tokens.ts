import { randomBytes, randomUUID } from 'node:crypto';
import { Secret } from '@keygate/crypto';
import type { Database } from '@keygate/db';
import type { AdminSecrets } from '../secrets';
import type { NodeCredentials } from './credentials';
import { enrollmentBadRequest, EnrollmentError, idOrNotFound } from './errors';

/**
 * Apps a node credential admits: the data plane. Admin and keyring-broker nodes key RBAC, audit
 * and recovery rows with `keyring_cluster_secret`, so they are configured with it instead.
 */
export const ENROLLABLE_APPS = ['proxy', 'vault-resolver'] as const;

/** @defaultValue 10 minutes */
export const DEFAULT_TOKEN_TTL_SECONDS = 600;
const MAX_TOKEN_TTL_SECONDS = 7 * 24 * 3600;

interface TokenRow {
  readonly id: string;
  readonly app: string | null;
  readonly tags: string[] | null;
  readonly created_at: Date;
  readonly expires_at: Date;
  readonly consumed_at: Date | null;
  readonly revoked_at: Date | null;
  readonly credential_id: string | null;
  readonly consumed_by: string | null;
  /** The node that last joined with the credential this token was exchanged for. */
  readonly node_id?: string | null;
}

/** A token as listed: state and use, never its value or hash. */
export interface TokenView {
  readonly id: string;
  readonly app: string | null;
  readonly tags: string[] | null;
  readonly created_at: number;
  readonly expires_at: number;
  readonly consumed_at: number | null;
  readonly revoked_at: number | null;
  readonly credential_id: string | null;
  readonly consumed_by: string | null;
  /** The node enrolled with it: the last node that joined with its credential. */
  readonly node_id: string | null;
  readonly state: 'pending' | 'used' | 'expired' | 'revoked';
}

const COLUMNS = 'id, app, tags, created_at, expires_at, consumed_at, revoked_at, credential_id, consumed_by';
/** With the node each token enrolled (its credential's last join). */
const LISTED = `SELECT t.id, t.app, t.tags, t.created_at, t.expires_at, t.consumed_at, t.revoked_at, t.credential_id, t.consumed_by, c.last_join_node_id AS node_id
  FROM cluster_enrollment_tokens t LEFT JOIN cluster_credentials c ON c.id = t.credential_id`;
const seconds = (d: Date | null) => (d ? Math.floor(d.getTime() / 1000) : null);

function view(row: TokenRow): TokenView {
  const state = row.revoked_at ? 'revoked' : row.consumed_at ? 'used' : row.expires_at.getTime() <= Date.now() ? 'expired' : 'pending';
  return { ...row, node_id: row.node_id ?? null, created_at: seconds(row.created_at)!, expires_at: seconds(row.expires_at)!, consumed_at: seconds(row.consumed_at), revoked_at: seconds(row.revoked_at), state };
}

export interface TokenInput {
  readonly ttl?: unknown;
  readonly app?: unknown;
  readonly tags?: unknown;
}

/** The token's one use: who consumed it and the credential it was exchanged for. */
export interface Enrollment {
  readonly token: TokenView;
  readonly credentialId: string;
  readonly credential: Secret<string>;
}

/**
 * One-time enrollment tokens (`cluster_enrollment_tokens`): stored as a keyed hash only,
 * consumed by a single `UPDATE ... WHERE consumed_at IS NULL AND revoked_at IS NULL AND
 * expires_at > now() RETURNING` (two exchanges at once: exactly one wins), and exchanged in the
 * same transaction for a new per-node credential.
 */
export class EnrollmentTokens {
  constructor(
    private readonly db: Database,
    private readonly secrets: AdminSecrets,
    private readonly credentials: NodeCredentials,
  ) {}

  async create(input: TokenInput): Promise<TokenView & { token: string }> {
    const ttl = parseTtl(input.ttl);
    const app = parseApp(input.app);
    const tags = parseTags(input.tags);
    const token = `kge1_${randomBytes(32).toString('base64url')}`;
    const res = await this.db.query<TokenRow & Record<string, unknown>>(
      `INSERT INTO cluster_enrollment_tokens (id, token_hash, app, tags, expires_at) VALUES ($1, $2, $3, $4, now() + ($5::int * interval '1 second')) RETURNING ${COLUMNS}`,
      [randomUUID(), this.secrets.enrollmentTokenHash(token), app, tags, ttl],
    );
    return { token, ...view(res.rows[0]!) };
  }

  async list(): Promise<TokenView[]> {
    const res = await this.db.query<TokenRow & Record<string, unknown>>(`${LISTED} ORDER BY t.created_at, t.id`);
    return res.rows.map(view);
  }

  async get(id: string): Promise<TokenView> {
    const res = await this.db.query<TokenRow & Record<string, unknown>>(`${LISTED} WHERE t.id = $1`, [idOrNotFound(id)]);
    if (!res.rows[0]) throw new EnrollmentError('ENROLLMENT_NOT_FOUND', 'Not found');
    return view(res.rows[0]);
  }

  /** Revokes a token not used yet (a used one stays as it is: its credential is revoked separately). */
  async revoke(id: string): Promise<void> {
    const res = await this.db.query('UPDATE cluster_enrollment_tokens SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 AND consumed_at IS NULL', [idOrNotFound(id)]);
    if ((res.rowCount ?? 0) === 0) await this.get(id);
  }

  /**
   * Consumes `token` and issues the node's credential, in one transaction. A token that cannot be
   * used says why: unknown (401), or used, expired or revoked (410).
   */
  async consume(token: unknown, consumedBy: string): Promise<Enrollment> {
    if (typeof token !== 'string' || token.trim() === '') throw enrollmentBadRequest('token: required field missing');
    const hash = this.secrets.enrollmentTokenHash(token.trim());
    const enrollment = await this.db.transaction(async (tx) => {
      const res = await tx.query<TokenRow & Record<string, unknown>>(
        `UPDATE cluster_enrollment_tokens SET consumed_at = now(), consumed_by = $2
         WHERE token_hash = $1 AND consumed_at IS NULL AND revoked_at IS NULL AND expires_at > now() RETURNING ${COLUMNS}`,
        [hash, consumedBy.slice(0, 200)],
      );
      const row = res.rows[0];
      if (!row) return undefined;
      const { id, credential } = await this.credentials.issue(tx, { app: row.app, label: `enrollment token ${row.id}` });
      await tx.query('UPDATE cluster_enrollment_tokens SET credential_id = $2 WHERE id = $1', [row.id, id]);
      return { token: view({ ...row, credential_id: id }), credentialId: id, credential };
    });
    if (enrollment) return enrollment;
    throw await this.#whyNot(hash);
  }

  async #whyNot(hash: string): Promise<EnrollmentError> {
    const res = await this.db.query<TokenRow & Record<string, unknown>>(`SELECT ${COLUMNS} FROM cluster_enrollment_tokens WHERE token_hash = $1`, [hash]);
    const row = res.rows[0];
    if (!row) return new EnrollmentError('ENROLLMENT_TOKEN_UNKNOWN', 'Invalid enrollment token');
    const state = view(row).state;
    const text = state === 'used' ? 'has already been used' : state === 'revoked' ? 'was revoked' : 'has expired';
    return new EnrollmentError('ENROLLMENT_TOKEN_GONE', `enrollment token ${row.id} ${text}`);
  }
}

function parseTtl(raw: unknown): number {
  if (raw === undefined || raw === null || raw === '') return DEFAULT_TOKEN_TTL_SECONDS;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_TOKEN_TTL_SECONDS) throw enrollmentBadRequest(`ttl: expected an integer number of seconds from 1 to ${MAX_TOKEN_TTL_SECONDS}`);
  return n;
}

function parseApp(raw: unknown): string | null {
  if (raw === undefined || raw === null || raw === '') return null;
  if (typeof raw !== 'string' || !(ENROLLABLE_APPS as readonly string[]).includes(raw)) throw enrollmentBadRequest(`app: expected one of: ${ENROLLABLE_APPS.join(', ')}`);
  return raw;
}

function parseTags(raw: unknown): string[] | null {
  if (raw === undefined || raw === null || raw === '') return null;
  const list = typeof raw === 'string' ? raw.split(',').map((t) => t.trim()) : raw;
  if (!Array.isArray(list) || list.length > 32 || !list.every((t) => typeof t === 'string' && /^[\w.~:-]{1,128}$/.test(t))) {
    throw enrollmentBadRequest('tags: expected a set of strings (letters, digits, . _ ~ : -; at most 32)');
  }
  return list as string[];
}
