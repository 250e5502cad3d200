import { z } from 'zod';
import type { EntityDefinition, ForeignKey, Subschema } from '../definition';

/** One field as Kong's `/schemas` endpoints show it: `{"type": "string", "required": true, ...}`. */
export type KongField = { [attribute: string]: unknown };
export type KongFields = Array<Record<string, KongField>>;

/** The body of `GET /schemas/{entity}` and `/schemas/plugins/{name}` (`schema_to_jsonable`). */
export interface KongSchema {
  readonly fields: KongFields;
  readonly entity_checks: ReadonlyArray<Record<string, unknown>>;
}

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  defaultValue?: unknown;
  checks?: Array<{ _zod: { def: Record<string, unknown> } }>;
  format?: string;
  entries?: Record<string, string>;
  element?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  valueType?: z.ZodType;
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** Attributes a schema helper declared for this view (`.meta({ kong: {...} })`). */
function kongMeta(schema: z.ZodType): KongField {
  const meta = z.globalRegistry.get(schema) as { kong?: KongField } | undefined;
  return meta?.kong ?? {};
}

/** Walks the wrappers (optional, nullable, default, pipe) down to the schema that checks the type. */
function peel(schema: z.ZodType): { base: z.ZodType; required: boolean; default?: unknown; meta: KongField } {
  let current = schema;
  let required = true;
  let fallback: unknown;
  const meta: KongField = {};
  for (;;) {
    Object.assign(meta, { ...kongMeta(current), ...meta });
    const d = defOf(current);
    if ((d.type === 'optional' || d.type === 'nullable') && d.innerType) {
      required = false;
      current = d.innerType;
    } else if ((d.type === 'default' || d.type === 'prefault') && d.innerType) {
      fallback ??= d.defaultValue;
      current = d.innerType;
    } else if ((d.type === 'readonly' || d.type === 'catch') && d.innerType) {
      current = d.innerType;
    } else if (d.type === 'pipe' && d.in) {
      current = d.in;
    } else {
      return { base: current, required, ...(fallback === undefined || fallback === null ? {} : { default: fallback }), meta };
    }
  }
}

/** `between`, `len_min`, `len_max` from zod's checks. */
function limits(d: Def): KongField {
  const out: KongField = {};
  let min: unknown;
  let max: unknown;
  for (const check of d.checks ?? []) {
    const c = check._zod.def;
    if (c.check === 'greater_than') min = c.value;
    else if (c.check === 'less_than') max = c.value;
    else if (c.check === 'min_length') out.len_min = c.minimum;
    else if (c.check === 'max_length') out.len_max = c.maximum;
  }
  if (min !== undefined && max !== undefined) out.between = [min, max];
  else if (min !== undefined) out.gt = min;
  return out;
}

/** The type part of a field: Kong's `string`, `integer`, `set`, `record` with `fields`, `map`... */
function typeOf(base: z.ZodType, meta: KongField): KongField {
  const d = defOf(base);
  switch (d.type) {
    case 'string':
      return { type: 'string', ...(d.format === 'uuid' ? { uuid: true } : {}), ...limits(d) };
    case 'enum':
      return { type: 'string', one_of: Object.values(d.entries ?? {}) };
    case 'number':
      return { type: d.format === 'safeint' || d.format === 'int32' ? 'integer' : 'number', ...limits(d) };
    case 'boolean':
      return { type: 'boolean' };
    case 'array':
      return { type: meta.type === 'set' ? 'set' : 'array', elements: describeField(d.element as z.ZodType), ...limits(d) };
    case 'object':
      return { type: 'record', fields: describeShape(d.shape ?? {}) };
    case 'record': {
      const values = d.valueType && defOf(d.valueType).type !== 'unknown' ? describeField(d.valueType) : undefined;
      return values ? { type: 'map', keys: { type: 'string' }, values } : { type: 'record', abstract: true };
    }
    default:
      return { type: 'any' };
  }
}

/** One field in Kong's shape: its type, `required`, `default` and constraints. */
export function describeField(schema: z.ZodType): KongField {
  const { base, required, default: fallback, meta } = peel(schema);
  const type = typeOf(base, meta);
  // Kong's timestamps carry no range (ours is only what a JSON number holds exactly).
  if (meta.timestamp) delete type.between;
  return {
    ...type,
    // Declared attributes win: a stream-only field this version keeps null still shows Kong's type.
    ...meta,
    ...(required ? { required: true } : {}),
    ...(fallback === undefined ? {} : { default: fallback }),
  };
}

function describeShape(shape: Record<string, z.ZodType>, special: (name: string) => KongField | undefined = () => undefined): KongFields {
  return Object.entries(shape).map(([name, schema]) => ({ [name]: special(name) ?? describeField(schema) }));
}

/** A foreign key as Kong shows it (its nested `schema` is stripped by the Admin API). */
function foreignField(fk: ForeignKey, schema: z.ZodType): KongField {
  const { required } = peel(schema);
  return { type: 'foreign', reference: fk.entity, ...(required ? { required: true } : {}) };
}

/** `GET /schemas/{entity}`: every field of the entity, foreign keys by reference, and its checks. */
export function describeEntity(def: EntityDefinition): KongSchema {
  const fields = describeShape(def.schema.shape, (name) => {
    const fk = def.foreignKeys.find((f) => f.field === name);
    const schema = def.schema.shape[name] as z.ZodType;
    if (fk) return foreignField(fk, schema);
    return name === def.endpointKey ? { ...describeField(schema), unique: true } : undefined;
  });
  return { fields, entity_checks: def.entityChecks ?? [] };
}

/**
 * `GET /schemas/plugins/{name}`, `/schemas/vaults/{name}`: the fields a subschema sets — a plugin's
 * `consumer` restriction and `protocols` default, and its `config` record.
 */
export function describeSubschema(sub: Subschema): KongSchema {
  const fields: KongFields = [];
  if (sub.noConsumer) fields.push({ consumer: { type: 'foreign', reference: 'consumers', eq: null } });
  if (sub.protocols) {
    fields.push({
      protocols: { type: 'set', required: true, default: [...sub.protocols], elements: { type: 'string', required: true, one_of: [...(sub.protocolChoices ?? sub.protocols)] } },
    });
  }
  fields.push({ config: { ...describeField(sub.config), required: true } });
  return { fields, entity_checks: [] };
}
