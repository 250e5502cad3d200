/**
 * Kong's DAO error object (`kong/db/errors.lua`): `{code, name, message, fields}`. Domain code
 * throws `EntityError`; `libs/http` maps the code to an HTTP status.
 */
export const ERRORS = {
  INVALID_PRIMARY_KEY: { code: 1, name: 'invalid primary key' },
  SCHEMA_VIOLATION: { code: 2, name: 'schema violation' },
  PRIMARY_KEY_VIOLATION: { code: 3, name: 'primary key violation' },
  FOREIGN_KEY_VIOLATION: { code: 4, name: 'foreign key violation' },
  UNIQUE_VIOLATION: { code: 5, name: 'unique constraint violation' },
  NOT_FOUND: { code: 6, name: 'not found' },
  INVALID_OFFSET: { code: 7, name: 'invalid offset' },
  DATABASE_ERROR: { code: 8, name: 'database error' },
  INVALID_SIZE: { code: 9, name: 'invalid size' },
  INVALID_UNIQUE: { code: 10, name: 'invalid unique' },
  INVALID_OPTIONS: { code: 11, name: 'invalid options' },
  OPERATION_UNSUPPORTED: { code: 12, name: 'operation unsupported' },
  FOREIGN_KEYS_UNRESOLVED: { code: 13, name: 'foreign keys unresolved' },
} as const;

export type ErrorKind = keyof typeof ERRORS;

export type FieldErrors = { [field: string]: FieldError };
export type FieldError = string | string[] | FieldErrors | Array<FieldError | null>;

export class EntityError extends Error {
  readonly kongCode: number;
  readonly kongName: string;

  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly fields?: FieldErrors,
    nameOverride?: string,
  ) {
    super(message);
    this.name = 'EntityError';
    this.kongCode = ERRORS[kind].code;
    this.kongName = nameOverride ?? ERRORS[kind].name;
  }

  /** The body Kong returns for this error. */
  toBody(): Record<string, unknown> {
    return {
      code: this.kongCode,
      name: this.kongName,
      message: this.message,
      ...(this.fields === undefined ? {} : { fields: this.fields }),
    };
  }
}

/**
 * Penlight's `pretty.write(t, "")`, which Kong uses to show keys in messages:
 * `{id="..."}`, keys sorted, nested tables inline, JSON null as `null`.
 */
export function luaPretty(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `{${value.map(luaPretty).join(',')}}`;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${k}=${luaPretty(v)}`).join(',')}}`;
}

export function schemaViolation(fields: FieldErrors): EntityError {
  const flat = flatten(fields);
  const message =
    flat.length === 1
      ? `schema violation (${flat[0]})`
      : `${flat.length} schema violations (${flat.join('; ')})`;
  return new EntityError('SCHEMA_VIOLATION', message, fields);
}

/** `@entity` errors first, then fields in sorted order; nested fields as `a.b: error`. */
function flatten(fields: FieldErrors, prefix = ''): string[] {
  const out: string[] = [];
  const keys = Object.keys(fields).sort((a, b) => (a === '@entity' ? -1 : b === '@entity' ? 1 : a < b ? -1 : a > b ? 1 : 0));
  for (const key of keys) {
    const value = fields[key] as FieldError;
    const name = prefix + key;
    if (key === '@entity' && Array.isArray(value)) {
      out.push(...(value as string[]));
    } else if (typeof value === 'string') {
      out.push(`${name}: ${value}`);
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => {
        if (item === null || item === undefined) return;
        if (typeof item === 'string') out.push(`${name}.${i + 1}: ${item}`);
        else out.push(...flatten(item as FieldErrors, `${name}.${i + 1}.`));
      });
    } else {
      out.push(...flatten(value, `${name}.`));
    }
  }
  return out;
}
