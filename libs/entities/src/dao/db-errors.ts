import { ForeignKeyViolationError, UniqueViolationError } from '@keygate/db';
import type { Entity, EntityDefinition } from '../definition';
import { EntityError, luaPretty } from '../schema/errors';

/**
 * Turns a constraint the database refused into Kong's DAO error for this entity. The database
 * is the arbiter (no check-then-insert race); constraint names follow PostgreSQL's defaults:
 * `<table>_pkey`, `<table>_<column>_key`, `<table>_<column>_fkey`.
 */
export function writeError(def: EntityDefinition, err: unknown, entity: Entity): unknown {
  if (err instanceof UniqueViolationError) return uniqueError(def, err.constraint ?? '', entity);
  if (err instanceof ForeignKeyViolationError) {
    const fk = def.foreignKeys.find((f) => err.constraint === `${def.name}_${f.column}_fkey`);
    if (fk) {
      const value = entity[fk.field] as { id: string };
      const message = `the foreign key '${luaPretty({ id: value.id })}' does not reference an existing '${fk.entity}' entity.`;
      return new EntityError('FOREIGN_KEY_VIOLATION', message, { [fk.field]: message });
    }
  }
  return err;
}

export function uniqueError(def: EntityDefinition, constraint: string, entity: Entity): unknown {
  if (constraint === `${def.name}_pkey`) {
    return new EntityError('PRIMARY_KEY_VIOLATION', `primary key violation on key '${luaPretty({ id: entity.id })}'`, {
      id: entity.id,
    });
  }
  const column = constraint.startsWith(`${def.name}_`) && constraint.endsWith('_key')
    ? constraint.slice(def.name.length + 1, -'_key'.length)
    : undefined;
  if (column === undefined) return new EntityError('UNIQUE_VIOLATION', 'UNIQUE violation detected');
  const fields = def.derivedUniqueFields?.[column] ?? [column];
  const values: Record<string, unknown> = Object.fromEntries(fields.map((f) => [f, entity[f] ?? null]));
  return new EntityError('UNIQUE_VIOLATION', `UNIQUE violation detected on '${luaPretty(values)}'`, values as never);
}

/** DELETE refused because other rows point at this one. */
export function deleteError(def: EntityDefinition, err: unknown): unknown {
  if (!(err instanceof ForeignKeyViolationError)) return err;
  const child = err.table ?? 'unknown';
  return new EntityError('FOREIGN_KEY_VIOLATION', `an existing '${child}' entity references this '${def.name}' entity`, {
    '@referenced_by': child,
  });
}
