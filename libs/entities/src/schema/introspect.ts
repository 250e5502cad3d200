import type { z } from 'zod';

export type FieldKind = 'string' | 'number' | 'boolean' | 'array' | 'object' | 'record' | 'other';

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
}

const def = (schema: z.ZodType): Def => (schema as unknown as { def: Def }).def;

/** Strips optional / nullable / default / pipe wrappers to the schema that checks the type. */
export function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    const d = def(current);
    if (d.innerType && ['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch'].includes(d.type)) current = d.innerType;
    else if (d.type === 'pipe' && d.in) current = d.in;
    else return current;
  }
}

export function kindOf(schema: z.ZodType): FieldKind {
  const type = def(unwrap(schema)).type;
  switch (type) {
    case 'string':
    case 'enum':
      return 'string';
    case 'number':
    case 'int':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array':
      return 'array';
    case 'object':
      return 'object';
    case 'record':
      return 'record';
    default:
      return 'other';
  }
}

export function shapeOf(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  return def(unwrap(schema)).shape;
}

export function elementOf(schema: z.ZodType): z.ZodType | undefined {
  return def(unwrap(schema)).element;
}

export function valueTypeOf(schema: z.ZodType): z.ZodType | undefined {
  return def(unwrap(schema)).valueType;
}

/**
 * Form bodies (`-d port=80 -d paths[]=/a`) carry only strings; Kong's arguments parser infers
 * the intended type from the schema. JSON bodies are taken as they are.
 */
export function inferFormValue(schema: z.ZodType | undefined, value: unknown): unknown {
  if (schema === undefined || value === undefined || value === null) return value;
  const kind = kindOf(schema);
  switch (kind) {
    case 'number':
      return typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value;
    case 'boolean':
      return value === 'true' ? true : value === 'false' ? false : value;
    case 'array': {
      const items = Array.isArray(value) ? value : isIndexed(value) ? Object.values(value as object) : [value];
      const element = elementOf(schema);
      return items.filter((v) => v !== '').map((item) => inferFormValue(element, item));
    }
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return value;
      const shape = shapeOf(schema) ?? {};
      return Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, inferFormValue(shape[k], v)]));
    }
    case 'record': {
      if (typeof value !== 'object' || Array.isArray(value)) return value;
      const valueType = valueTypeOf(schema);
      return Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, inferFormValue(valueType, v)]));
    }
    default:
      return value;
  }
}

/** `paths[1]=/a&paths[2]=/b` parses to `{1: '/a', 2: '/b'}`. */
function isIndexed(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.keys(value).every((k) => /^\d+$/.test(k));
}
