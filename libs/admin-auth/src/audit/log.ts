import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Database, Queryable, Row } from '@keygate/db';
import type { AuditEvent, AuditTrail, EntityChange } from '@keygate/entities';
import type { Logger } from '@keygate/logging';
import type { AdminSecrets } from '../secrets';
import { append, AuditChainError, CHAINS, lockHead, rowHash, writeHead, type AuditRecord, type ChainName } from './chain';

/** Who is acting in the current request (set by the Admin API around each request). */
export interface AuditContext {
  readonly requestId: string;
  userId?: string;
  userName?: string;
}

export interface AuditLogOptions {
  readonly db: Database;
  readonly secrets: AdminSecrets;
  readonly logger: Logger;
  /** `audit_log_record_ttl` in seconds. */
  readonly ttlSeconds: number;
  /** `audit_log_ignore_tables`. */
  readonly ignoreTables?: readonly string[];
}

export interface RequestRecord {
  readonly requestId: string;
  readonly clientIp: string | undefined;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly userId: string | undefined;
  readonly userName: string | undefined;
  readonly requestSource: string | undefined;
}

const now = () => Math.floor(Date.now() / 1000);

/**
 * The audit log: Kong's `audit_requests` and `audit_objects`, each a hash chain keyed with a
 * secret the database does not hold. Records carry ids, methods, paths and statuses, never a
 * request body or an entity's contents, so no secret value can reach them. Implements the
 * `AuditTrail` port for the keyring's operations.
 */
export class AuditLog implements AuditTrail {
  readonly context = new AsyncLocalStorage<AuditContext>();
  readonly #o: AuditLogOptions;
  readonly #ignore: Set<string>;

  constructor(options: AuditLogOptions) {
    this.#o = options;
    this.#ignore = new Set(options.ignoreTables ?? []);
  }

  #expire(): number {
    return now() + this.#o.ttlSeconds;
  }

  /** An Admin API request, once answered (its own transaction). Never throws. */
  async recordRequest(r: RequestRecord): Promise<void> {
    await this.#safely('request', (tx) =>
      append(tx, this.#o.secrets, 'requests', {
        request_id: r.requestId,
        request_timestamp: now(),
        client_ip: r.clientIp ?? null,
        method: r.method,
        path: r.path,
        payload: null,
        removed_from_payload: null,
        status: r.status,
        rbac_user_id: r.userId ?? null,
        rbac_user_name: r.userName ?? null,
        request_source: r.requestSource ?? null,
        workspace: null,
        expire: this.#expire(),
      }),
    );
  }

  /** An entity write, in the write's own transaction (so the record commits with it). */
  async recordEntityChange(tx: Queryable, change: EntityChange): Promise<void> {
    if (this.#ignore.has(change.entity)) return;
    try {
      await append(tx, this.#o.secrets, 'objects', this.#object(change.entity, change.op, change.id, null));
    } catch (err) {
      // A head someone else wrote (checked before any write here): the change goes on, unrecorded, and verify reports the head.
      if (!(err instanceof AuditChainError)) throw err;
      this.#o.logger.error({ table: change.entity, id: change.id, err: err.message }, 'could not record an entity change in the audit log');
    }
  }

  /** The `AuditTrail` port: a keyring operation (ids and facts only). Never throws. */
  async record(event: AuditEvent): Promise<void> {
    const entity = event.details ? JSON.stringify(event.details) : null;
    await this.#safely('object', (tx) => append(tx, this.#o.secrets, 'objects', this.#object(event.subject, event.operation, event.entityKey ?? null, entity)));
  }

  #object(dao: string, operation: string, key: string | null, entity: string | null): AuditRecord {
    const ctx = this.context.getStore();
    return {
      id: randomUUID(),
      request_id: ctx?.requestId ?? null,
      request_timestamp: now(),
      entity_key: key,
      dao_name: dao,
      operation,
      entity,
      removed_from_entity: null,
      rbac_user_id: ctx?.userId ?? null,
      expire: this.#expire(),
    };
  }

  async #safely(kind: string, write: (tx: Queryable) => Promise<unknown>): Promise<void> {
    try {
      await this.#o.db.transaction(write);
    } catch (err) {
      this.#o.logger.error({ err: (err as Error).message, code: (err as { code?: string }).code }, `could not record an audit ${kind}`);
    }
  }

  /** Kong's listing: newest first, `before`/`after` on request_timestamp, keyset paging by seq. */
  async list(chain: ChainName, q: { size: number; offset?: number; before?: number; after?: number }): Promise<{ data: Row[]; offset?: number }> {
    const where = ['TRUE'];
    const values: unknown[] = [];
    if (q.offset !== undefined) where.push(`seq < $${values.push(q.offset)}`);
    if (q.before !== undefined) where.push(`request_timestamp < $${values.push(q.before)}`);
    if (q.after !== undefined) where.push(`request_timestamp >= $${values.push(q.after)}`);
    const rows = (await this.#o.db.query(`SELECT * FROM ${CHAINS[chain].table} WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ${q.size + 1}`, values)).rows;
    const page = rows.slice(0, q.size).map((row) => view(row));
    return rows.length > q.size ? { data: page, offset: Number(page[page.length - 1]?.seq) } : { data: page };
  }

  /**
   * Drops expired records from the start of each chain and moves the head's start past them, in
   * one transaction under the head's lock. The dropped rows are verified first: a chain whose old
   * rows were tampered with is left whole (and the problem logged) so the evidence stays.
   */
  async prune(): Promise<number> {
    let dropped = 0;
    for (const chain of Object.keys(CHAINS) as ChainName[]) {
      const { table } = CHAINS[chain];
      try {
        dropped += await this.#o.db.transaction(async (tx) => {
          const head = await lockHead(tx, this.#o.secrets, chain);
          const expired = (await tx.query(`SELECT * FROM ${table} WHERE seq >= $1 AND seq <= $2 AND expire < now() ORDER BY seq`, [head.first_seq, head.last_seq])).rows;
          let prev = head.first_prev;
          let next = head.first_seq;
          for (const row of expired) {
            if (Number(row.seq) !== next || String(row.prev_hash) !== prev || rowHash(this.#o.secrets, chain, next, prev, row) !== String(row.hash)) {
              this.#o.logger.error({ chain, seq: next }, 'expired audit records do not verify; not pruning them (run keygate audit verify)');
              break;
            }
            prev = String(row.hash);
            next++;
          }
          if (next === head.first_seq) return 0;
          await tx.query(`DELETE FROM ${table} WHERE seq < $1`, [next]);
          await writeHead(tx, this.#o.secrets, { ...head, first_seq: next, first_prev: prev });
          return next - head.first_seq;
        });
      } catch (err) {
        this.#o.logger.error({ chain, err: (err as Error).message }, 'could not prune the audit log');
      }
    }
    return dropped;
  }
}

/** Kong's record shape plus `seq` and `hash`; `ttl` is the remaining seconds. */
function view(row: Row): Row {
  const { expire, prev_hash: _prev, ...rest } = row;
  const out: Row = { ...rest, seq: Number(row.seq), request_timestamp: Number(row.request_timestamp), ttl: Math.max(0, Math.floor(((expire as Date).getTime() - Date.now()) / 1000)) };
  return out;
}
