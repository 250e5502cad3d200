import type { Entity, EntityDefinition, ValidationContext } from '../definition';
import { schemaViolation } from './errors';
import { inferFormValue } from './introspect';
import { issuesToFields } from './zod-errors';

/** Form bodies carry strings; turn them into the types the schema expects, as Kong does. */
export function inferForm(def: EntityDefinition, input: Record<string, unknown>, existing?: Entity): Record<string, unknown> {
  if (def.inferForm) return def.inferForm(input, existing);
  return inferFormValue(def.schema, input) as Record<string, unknown>;
}

/**
 * Validates a complete entity (an insert, a PUT, or a PATCH merged onto the stored entity):
 * shorthand expansion, field schema with Kong's defaults, then the entity's own checks.
 * Throws Kong's `schema violation` with every field error.
 */
export function validateEntity(def: EntityDefinition, input: Record<string, unknown>, ctx: ValidationContext): Entity {
  let expanded = input;
  if (def.expand) {
    const result = def.expand(input);
    if (!result.ok) throw schemaViolation(result.errors);
    expanded = result.value;
  }
  const parsed = def.schema.safeParse(expanded, { reportInput: true });
  if (!parsed.success) throw schemaViolation(issuesToFields(parsed.error.issues));
  const entity = nullsForMissing(def, parsed.data as Record<string, unknown>) as Entity;
  const errors = def.finalize?.(entity, ctx);
  if (errors && Object.keys(errors).length > 0) throw schemaViolation(errors);
  return entity;
}

/** Kong returns every field; unset ones are `null`. */
function nullsForMissing(def: EntityDefinition, data: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(def.schema.shape).map((key) => [key, data[key] ?? null]));
}
