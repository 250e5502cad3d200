import { DIGEST_V1 } from '@keygate/crypto';
import { quoteIdent, UniqueViolationError, type Queryable } from '@keygate/db';
import type { DigestColumn, EntityDefinition, FieldProtector } from '@keygate/entities';
import type { Logger } from '@keygate/logging';

export interface DigestMigrationResult {
  /** Rows rewritten with a keyed digest, per table. */
  readonly migrated: Record<string, number>;
  /** Rows left as they were (unreadable value, or the same key as another row), per table. */
  readonly failed: Record<string, number>;
}

// A constant in the SQL text (not a parameter), so the planner can use migration 005's partial index.
const KEYED = `'${DIGEST_V1}%'`;

/** Whether any row already holds a keyed digest: then an index key existed in this cluster. */
export async function keyedDigestsExist(q: Queryable, definitions: readonly EntityDefinition[]): Promise<boolean> {
  for (const def of definitions) {
    for (const column of Object.keys(def.digests ?? {})) {
      const res = await q.query(`SELECT 1 FROM ${quoteIdent(def.name)} WHERE ${quoteIdent(column)} LIKE ${KEYED} LIMIT 1`);
      if (res.rows.length > 0) return true;
    }
  }
  return false;
}

/**
 * Rewrites every unkeyed (pre-index-key) digest as a keyed one: batches by primary key, each row
 * by compare-and-swap on its old digest, so concurrent writes win and running it again, on any
 * node or after a kill, just continues with what is left. Nothing is locked meanwhile: writes
 * refuse duplicates of not yet migrated rows themselves (see refuseLegacyDuplicate).
 */
export async function migrateDigests(
  q: Queryable,
  definitions: readonly EntityDefinition[],
  deps: { readonly protector: FieldProtector; readonly logger: Logger; readonly batchSize?: number },
): Promise<DigestMigrationResult> {
  const migrated: Record<string, number> = {};
  const failed: Record<string, number> = {};
  for (const def of definitions) {
    for (const [column, spec] of Object.entries(def.digests ?? {})) {
      const table = quoteIdent(def.name);
      const col = quoteIdent(column);
      let after: string | null = null;
      for (;;) {
        const rows: Array<{ id: string; value: string | null; digest: string }> = (
          await q.query<{ id: string; value: string | null; digest: string }>(
            `SELECT id, ${quoteIdent(spec.field)} AS value, ${col} AS digest FROM ${table}
             WHERE ${col} NOT LIKE ${KEYED} AND ($1::uuid IS NULL OR id > $1::uuid) ORDER BY id LIMIT $2`,
            [after, deps.batchSize ?? 500],
          )
        ).rows;
        if (rows.length === 0) break;
        for (const row of rows) {
          const ok = await migrateRow(q, def, column, spec, row, deps);
          const counts = ok ? migrated : failed;
          counts[def.name] = (counts[def.name] ?? 0) + 1;
        }
        after = rows[rows.length - 1]!.id;
      }
    }
  }
  if (Object.keys(migrated).length + Object.keys(failed).length > 0) {
    deps.logger.info({ migrated, failed }, 'lookup digests: rewrote unkeyed digests as keyed (HMAC with the index key)');
  }
  return { migrated, failed };
}

async function migrateRow(
  q: Queryable,
  def: EntityDefinition,
  column: string,
  spec: DigestColumn,
  row: { id: string; value: string | null; digest: string },
  deps: { readonly protector: FieldProtector; readonly logger: Logger },
): Promise<boolean> {
  const where = { table: def.name, row_id: row.id, column };
  if (row.value === null) return false;
  let plain: string;
  try {
    plain = await deps.protector.reveal(row.value, { table: def.name, field: spec.field, id: row.id });
  } catch (err) {
    deps.logger.warn({ ...where, reason: (err as Error).message }, 'lookup digests: cannot read the value to digest; row left with its unkeyed digest');
    return false;
  }
  try {
    await q.query(`UPDATE ${quoteIdent(def.name)} SET ${quoteIdent(column)} = $1 WHERE id = $2 AND ${quoteIdent(column)} = $3`, [
      await deps.protector.digest(spec.purpose, plain),
      row.id,
      row.digest,
    ]);
    return true;
  } catch (err) {
    if (!(err instanceof UniqueViolationError)) throw err;
    deps.logger.warn(where, 'lookup digests: another row holds the same value; row left with its unkeyed digest');
    return false;
  }
}
