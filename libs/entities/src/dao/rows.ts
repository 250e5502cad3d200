import type { Entity, EntityDefinition } from '../definition';
import { kindOf } from '../schema/introspect';

export type Row = Record<string, unknown>;

const TIMESTAMPS = new Set(['created_at', 'updated_at']);

/**
 * Entity (Kong's JSON shape) to table columns: foreign keys to `<field>_id`, JSON to text.
 * `plain` is the entity before its encrypted fields were encrypted: derived columns (a digest)
 * are computed from it.
 */
export function toRow(def: EntityDefinition, entity: Entity, plain: Entity = entity): Row {
  const row: Row = {};
  const foreign = new Map(def.foreignKeys.map((fk) => [fk.field, fk]));
  for (const key of Object.keys(def.schema.shape)) {
    const value = entity[key];
    const fk = foreign.get(key);
    if (fk) row[fk.column] = (value as { id?: string } | null)?.id ?? null;
    else if (TIMESTAMPS.has(key)) row[key] = new Date(Number(value) * 1000);
    else if (def.jsonColumns.includes(key)) row[key] = value == null ? null : JSON.stringify(value);
    else row[key] = value ?? null;
  }
  return { ...row, ...def.derived?.(plain) };
}

/** Table row back to Kong's JSON shape: `{"id": ...}` for foreign keys, epoch seconds. */
export function fromRow(def: EntityDefinition, row: Row): Entity {
  const entity: Record<string, unknown> = {};
  const foreign = new Map(def.foreignKeys.map((fk) => [fk.field, fk]));
  for (const [key, schema] of Object.entries(def.schema.shape)) {
    const fk = foreign.get(key);
    if (fk) {
      const id = row[fk.column];
      entity[key] = id == null ? null : { id };
      continue;
    }
    const value = row[key];
    if (value === null || value === undefined) entity[key] = null;
    else if (value instanceof Date) entity[key] = Math.floor(value.getTime() / 1000);
    // BIGINT arrives as a string from pg.
    else if (typeof value === 'string' && kindOf(schema) === 'number') entity[key] = Number(value);
    else entity[key] = value;
  }
  return entity as Entity;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
