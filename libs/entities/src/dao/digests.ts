import { isKeyedDigest, unkeyedDigest } from '@keygate/crypto';
import { quoteIdent, type Queryable } from '@keygate/db';
import type { Entity, EntityDefinition } from '../definition';
import type { FieldProtector } from '../ports';
import { uniqueError } from './db-errors';

/** The digest columns of an entity, from its plaintext fields (null where the field is unset). */
export async function digestColumns(def: EntityDefinition, plain: Entity, protector: FieldProtector): Promise<Record<string, string | null>> {
  const out: Record<string, string | null> = {};
  for (const [column, { field, purpose }] of Object.entries(def.digests ?? {})) {
    const value = plain[field];
    out[column] = typeof value === 'string' ? await protector.digest(purpose, value) : null;
  }
  return out;
}

/**
 * Until every row carries a keyed digest (the keyring migrates them when it gets its index key),
 * a row may still hold the unkeyed digest of the same value, which the unique constraint cannot
 * see. Refuses the write as the constraint would, so uniqueness holds during the transition.
 */
export async function refuseLegacyDuplicate(q: Queryable, def: EntityDefinition, plain: Entity, digests: Record<string, string | null>): Promise<void> {
  for (const [column, digest] of Object.entries(digests)) {
    const spec = def.digests?.[column];
    const value = spec ? plain[spec.field] : undefined;
    if (!spec || digest === null || !isKeyedDigest(digest) || typeof value !== 'string') continue;
    const legacy = unkeyedDigest(spec.purpose, value);
    const sql = `SELECT 1 FROM ${quoteIdent(def.name)} WHERE ${quoteIdent(column)} = $1 AND id <> $2 LIMIT 1`;
    if ((await q.query(sql, [legacy, plain.id])).rows.length > 0) throw uniqueError(def, `${def.name}_${column}_key`, plain);
  }
}
