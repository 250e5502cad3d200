import type { FieldContext } from '@keygate/crypto';
import type { Entity, EntityDefinition } from '../definition';
import type { FieldProtector } from '../ports';

/** Columns of a table that may hold encrypted values. */
export function encryptedColumns(def: EntityDefinition): readonly string[] {
  if (def.encryptedColumns) return def.encryptedColumns;
  return Array.isArray(def.encryptedFields) ? [...new Set(def.encryptedFields.map((f: string) => f.split('.')[0] as string))] : [];
}

/** The encrypted field paths of one entity (a plugin's depend on its name). */
export function encryptedPaths(def: EntityDefinition, entity: Entity): readonly string[] {
  return paths(def, entity);
}

export function getPath(entity: Record<string, unknown>, path: string): unknown {
  return path.split('.').reduce<unknown>((node, part) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined), entity);
}

function paths(def: EntityDefinition, entity: Entity): readonly string[] {
  const fields = def.encryptedFields;
  if (!fields) return [];
  return typeof fields === 'function' ? fields(entity) : fields;
}

/** A copy of `entity` with the value at `path` replaced (parents copied, not mutated). */
export function withPath(entity: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const [head, ...rest] = path.split('.') as [string, ...string[]];
  if (rest.length === 0) return { ...entity, [head]: value };
  const child = entity[head];
  return { ...entity, [head]: withPath(child && typeof child === 'object' ? (child as Record<string, unknown>) : {}, rest.join('.'), value) };
}

async function mapEncrypted(
  def: EntityDefinition,
  entity: Entity,
  fn: (value: string, context: FieldContext) => Promise<string>,
): Promise<Entity> {
  let out: Record<string, unknown> = entity;
  for (const path of paths(def, entity)) {
    const value = getPath(out, path);
    if (typeof value !== 'string') continue;
    out = withPath(out, path, await fn(value, { table: def.name, field: path, id: entity.id }));
  }
  return out as Entity;
}

/** The entity as stored: its encrypted fields encrypted with the active key. */
export function protectEntity(def: EntityDefinition, entity: Entity, protector: FieldProtector): Promise<Entity> {
  return mapEncrypted(def, entity, (value, context) => protector.protect(value, context));
}

/** The entity as the Admin API shows it: encrypted fields decrypted. */
export function revealEntity(def: EntityDefinition, stored: Entity, protector: FieldProtector): Promise<Entity> {
  return mapEncrypted(def, stored, (value, context) => protector.reveal(value, context));
}
