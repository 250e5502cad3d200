import { constantTimeEqual } from '@keygate/crypto';
import type { Queryable, Row } from '@keygate/db';
import type { AdminSecrets } from '../secrets';

/** The two chains, their tables and the columns each row's hash covers (in this order). */
export const CHAINS = {
  requests: {
    table: 'audit_requests',
    fields: ['request_id', 'request_timestamp', 'client_ip', 'method', 'path', 'payload', 'removed_from_payload', 'status', 'rbac_user_id', 'rbac_user_name', 'request_source', 'workspace', 'expire'],
  },
  objects: {
    table: 'audit_objects',
    fields: ['id', 'request_id', 'request_timestamp', 'entity_key', 'dao_name', 'operation', 'entity', 'removed_from_entity', 'rbac_user_id', 'expire'],
  },
} as const;

export type ChainName = keyof typeof CHAINS;
export type AuditRecord = Record<string, string | number | null>;

export const GENESIS = 'genesis';

export interface Head {
  readonly chain: ChainName;
  readonly first_seq: number;
  readonly first_prev: string;
  readonly last_seq: number;
  readonly last_hash: string;
  readonly mac: string;
}

/** Every value as text (pg returns BIGINT as text, a record has numbers), a date as epoch seconds. */
const canonical = (value: unknown): string | null => (value === undefined || value === null ? null : value instanceof Date ? String(Math.floor(value.getTime() / 1000)) : String(value));

/** A row's hash: keyed (HMAC) over chain, sequence, the previous hash and every covered column. */
export function rowHash(secrets: AdminSecrets, chain: ChainName, seq: number, prev: string, row: Row): string {
  return secrets.auditMac(['row', chain, seq, prev, ...CHAINS[chain].fields.map((f) => canonical(row[f]))]);
}

export function headMac(secrets: AdminSecrets, head: Omit<Head, 'mac'>): string {
  return secrets.auditMac(['head', head.chain, head.first_seq, head.first_prev, head.last_seq, head.last_hash]);
}

export const headVerifies = (secrets: AdminSecrets, head: Head): boolean => constantTimeEqual(head.mac, headMac(secrets, head));

export class AuditChainError extends Error {
  readonly code = 'AUDIT_CHAIN_BROKEN';
}

function toHead(row: Row): Head {
  return { chain: row.chain as ChainName, first_seq: Number(row.first_seq), first_prev: String(row.first_prev), last_seq: Number(row.last_seq), last_hash: String(row.last_hash), mac: String(row.mac) };
}

/** The chain's head, locked for this transaction (appends from every node queue here). */
export async function lockHead(tx: Queryable, secrets: AdminSecrets, chain: ChainName): Promise<Head> {
  const genesis = { chain, first_seq: 1, first_prev: GENESIS, last_seq: 0, last_hash: GENESIS };
  await tx.query('INSERT INTO audit_heads (chain, first_seq, first_prev, last_seq, last_hash, mac) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (chain) DO NOTHING', [
    chain,
    genesis.first_seq,
    genesis.first_prev,
    genesis.last_seq,
    genesis.last_hash,
    headMac(secrets, genesis),
  ]);
  const head = toHead((await tx.query('SELECT * FROM audit_heads WHERE chain = $1 FOR UPDATE', [chain])).rows[0] as Row);
  // Never extend (and so re-sign) a head someone else wrote: that would launder a truncation.
  if (!headVerifies(secrets, head)) throw new AuditChainError(`the ${chain} audit chain's head fails verification; run keygate audit verify`);
  return head;
}

export async function writeHead(tx: Queryable, secrets: AdminSecrets, head: Omit<Head, 'mac'>): Promise<void> {
  await tx.query('UPDATE audit_heads SET first_seq = $2, first_prev = $3, last_seq = $4, last_hash = $5, mac = $6 WHERE chain = $1', [
    head.chain,
    head.first_seq,
    head.first_prev,
    head.last_seq,
    head.last_hash,
    headMac(secrets, head),
  ]);
}

/** Appends one record under the head's row lock, in the caller's transaction. */
export async function append(tx: Queryable, secrets: AdminSecrets, chain: ChainName, record: AuditRecord): Promise<number> {
  const head = await lockHead(tx, secrets, chain);
  const seq = head.last_seq + 1;
  const hash = rowHash(secrets, chain, seq, head.last_hash, record);
  const { table, fields } = CHAINS[chain];
  const columns = ['seq', 'prev_hash', 'hash', ...fields];
  const values = [seq, head.last_hash, hash, ...fields.map((f) => (f === 'expire' ? new Date(Number(record[f]) * 1000) : (record[f] ?? null)))];
  await tx.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`, values);
  await writeHead(tx, secrets, { ...head, last_seq: seq, last_hash: hash });
  return seq;
}
