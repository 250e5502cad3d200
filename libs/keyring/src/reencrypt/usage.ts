import type { Database } from '@keygate/db';
import { quoteIdent } from '@keygate/db';
import { encryptedColumns, type EntityDefinition } from '@keygate/entities';

/**
 * How many rows of each table still hold a value encrypted with `keyId` (`$ke$1$-<id>-` or
 * `$ke$2$-<id>-` anywhere in an encrypted column, JSON included). Live, for `POST /keyring/remove`.
 */
export async function rowsUsingKey(db: Database, definitions: readonly EntityDefinition[], keyId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const pattern = `%$ke$_$-${keyId.replace(/[\\%_]/g, (c) => `\\${c}`)}-%`;
  for (const def of definitions) {
    const columns = encryptedColumns(def);
    if (columns.length === 0) continue;
    const where = columns.map((c) => `${quoteIdent(c)}::text LIKE $1`).join(' OR ');
    const res = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${quoteIdent(def.name)} WHERE ${where}`, [pattern]);
    const n = res.rows[0]?.n ?? 0;
    if (n > 0) counts[def.name] = n;
  }
  return counts;
}
