import type { Database, Row } from '@keygate/db';
import type { AdminSecrets } from '../secrets';
import { CHAINS, GENESIS, headVerifies, rowHash, type ChainName, type Head } from './chain';

export interface ChainReport {
  readonly chain: ChainName;
  readonly rows: number;
  readonly first_seq: number | null;
  readonly last_seq: number | null;
  readonly last_hash: string | null;
  readonly problems: string[];
}

const BATCH = 1000;

/**
 * Checks one chain: the head's MAC, then every row from the head's first to its last sequence
 * (none missing, none extra, each linked to the previous hash, each hash recomputed under the
 * key). An edited, inserted or deleted row, or a truncated chain, is a problem named by sequence.
 */
export async function verifyChain(db: Database, secrets: AdminSecrets, chain: ChainName): Promise<ChainReport> {
  const problems: string[] = [];
  const headRow = (await db.query('SELECT * FROM audit_heads WHERE chain = $1', [chain])).rows[0];
  const { table } = CHAINS[chain];
  const total = Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n ?? 0);
  if (!headRow) {
    if (total > 0) problems.push(`${total} row(s) but no chain head (the head was deleted)`);
    return { chain, rows: total, first_seq: null, last_seq: null, last_hash: null, problems };
  }
  const head: Head = { chain, first_seq: Number(headRow.first_seq), first_prev: String(headRow.first_prev), last_seq: Number(headRow.last_seq), last_hash: String(headRow.last_hash), mac: String(headRow.mac) };
  if (!headVerifies(secrets, head)) problems.push('the chain head fails its MAC (edited, or replaced by an older copy)');
  const outside = Number(
    (await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE seq < $1 OR seq > $2`, [head.first_seq, head.last_seq])).rows[0]?.n ?? 0,
  );
  if (outside > 0) problems.push(`${outside} row(s) outside the chain (seq < ${head.first_seq} or > ${head.last_seq}): inserted`);

  let expected = head.first_seq;
  let prev = head.first_prev;
  for (;;) {
    const rows = (await db.query<Row>(`SELECT * FROM ${table} WHERE seq >= $1 AND seq <= $2 ORDER BY seq LIMIT ${BATCH}`, [expected, head.last_seq])).rows;
    for (const row of rows) {
      const seq = Number(row.seq);
      if (seq !== expected) {
        problems.push(seq - expected === 1 ? `row ${expected} is missing (deleted)` : `rows ${expected}..${seq - 1} are missing (deleted)`);
        // The next row still links to the missing one's hash, which is gone: resume from it.
        prev = String(row.prev_hash);
      } else if (String(row.prev_hash) !== prev) problems.push(`row ${seq} does not link to the previous row (prev_hash changed, or rows reordered)`);
      if (rowHash(secrets, chain, seq, String(row.prev_hash), row) !== String(row.hash)) problems.push(`row ${seq} was changed (its hash does not verify)`);
      prev = String(row.hash);
      expected = seq + 1;
    }
    if (rows.length < BATCH) break;
  }
  if (expected <= head.last_seq) problems.push(expected === head.last_seq ? `row ${expected} is missing (deleted)` : `rows ${expected}..${head.last_seq} are missing (deleted)`);
  else if (head.last_seq >= head.first_seq && prev !== head.last_hash) problems.push('the last row does not match the chain head');
  if (head.last_seq < head.first_seq && head.first_prev !== head.last_hash && head.first_prev !== GENESIS) problems.push('the chain head is inconsistent');
  return { chain, rows: total, first_seq: head.first_seq, last_seq: head.last_seq, last_hash: head.last_hash, problems };
}

export async function verifyAudit(db: Database, secrets: AdminSecrets): Promise<ChainReport[]> {
  return [await verifyChain(db, secrets, 'requests'), await verifyChain(db, secrets, 'objects')];
}
