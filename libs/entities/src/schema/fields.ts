import { z } from 'zod';

/**
 * Field types with Kong's semantics and error texts (`kong/db/schema/typedefs.lua`). Each
 * type error defers to the generic mapper ("required field missing" / "expected a string"),
 * while range and format errors carry Kong's exact wording.
 */

const typeError = (expected: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? undefined : `expected ${expected}`;

export const str = () => z.string({ error: typeError('a string') });

export const nonEmptyString = () => str().min(1, { error: 'length must be at least 1' });

export const int = (min: number, max: number) =>
  z
    .int({ error: typeError('an integer') })
    .min(min, { error: `value should be between ${min} and ${max}` })
    .max(max, { error: `value should be between ${min} and ${max}` });

export const bool = () => z.boolean({ error: typeError('a boolean') });

export const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: (issue) => (issue.input === undefined ? undefined : `expected one of: ${values.join(', ')}`) });

export const uuid = () =>
  z.uuid({ error: (issue) => (issue.input === undefined ? undefined : 'expected a valid UUID') }).meta({ kong: { uuid: true } });

/** Kong's "set": an array without duplicates (duplicates are dropped, order kept). */
export const set = <T extends z.ZodType>(item: T) =>
  z
    .array(item, { error: typeError('a set') })
    .transform((items) => [...new Set(items)] as z.output<T>[])
    .meta({ kong: { type: 'set' } });

export const array = <T extends z.ZodType>(item: T) => z.array(item, { error: typeError('an array') });

const NAME = /^[A-Za-z0-9.\-_~\u0080-\uFFFF]+$/;

/** `typedefs.utf8_name`. */
export const utf8Name = () =>
  nonEmptyString().refine((v) => NAME.test(v), {
    error: (issue) =>
      `invalid value '${String(issue.input)}': the only accepted ascii characters are alphanumerics or ., -, _, and ~`,
  });

// Kong's `validate_tag`: printable ASCII from the space up, except `,` and `/`, and non-ASCII.
const TAG = /^[\x20-\x2B\x2D\x2E\x30-\x7E\u0080-\uFFFF]+$/;

/** `typedefs.tag`: one tag. */
export const tag = () =>
  str().refine((v) => TAG.test(v), {
    error: (issue) => `invalid tag '${String(issue.input)}': expected printable ascii (except \`,\` and \`/\`) or valid utf-8 sequences`,
  });

export const tags = () => set(tag());

export const port = () => int(0, 65535);

export const timeout = () => int(1, 2 ** 31 - 2);

const HOSTNAME = /^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.\*)?$/;
const IPV4 = /^(\d{1,3}\.){3}\d{1,3}$/;
const IPV6 = /^\[?[0-9A-Fa-f:.]+\]?$/;

/** A host name or IP address, no port; `allowWildcard` allows a leading `*.` or trailing `.*`. */
export const host = (allowWildcard = false) =>
  nonEmptyString().refine(
    (v) => {
      if (IPV4.test(v)) return v.split('.').every((n) => Number(n) <= 255);
      if (v.includes(':')) return IPV6.test(v);
      if (!HOSTNAME.test(v)) return false;
      return allowWildcard ? (v.match(/\*/g) ?? []).length <= 1 : !v.includes('*');
    },
    { error: (issue) => `invalid value: ${String(issue.input)}` },
  );

/** A URI path: starts with `/`, no whitespace. */
export const path = () =>
  str()
    .refine((v) => v.startsWith('/'), { error: 'should start with: /' })
    .refine((v) => !/\s/.test(v), { error: (issue) => `invalid path: '${String(issue.input)}' (contains whitespace)` });

/** Seconds since the epoch, as Kong's auto-timestamps. */
export const timestamp = () => int(0, 2 ** 53 - 1).meta({ kong: { timestamp: true } });

/** A reference to another entity: `{"id": "<uuid>"}` (or, on input, its endpoint key). */
export const foreign = () => z.object({ id: uuid() }).strict();

export const HTTP_PROTOCOLS = ['http', 'https'] as const;
export const PROTOCOLS = ['grpc', 'grpcs', 'http', 'https', 'tcp', 'tls', 'tls_passthrough', 'udp', 'ws', 'wss'] as const;
