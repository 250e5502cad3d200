import { EntityError } from '../schema/errors';
import { isUuid } from './uuid';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

/** `?size=`: Kong's default 100, an integer from 1 to 1000. */
export function parseSize(raw: unknown): number {
  if (raw === undefined || raw === '') return DEFAULT_PAGE_SIZE;
  const n = Number(raw);
  if (typeof raw !== 'string' || Number.isNaN(n)) throw new EntityError('INVALID_SIZE', 'size must be a number');
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) {
    throw new EntityError('INVALID_SIZE', `size must be an integer between 1 and ${MAX_PAGE_SIZE}`);
  }
  return n;
}

/** The opaque `offset` token: base64 of the JSON list of the last row's primary key. */
export function encodeOffset(id: string): string {
  return encodeOffsetKeys([id]);
}

/** An offset over a sort key of several columns (`/tags`: tag, entity name, entity id). */
export function encodeOffsetKeys(keys: readonly string[]): string {
  return Buffer.from(JSON.stringify(keys)).toString('base64');
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

const invalidOffset = (raw: unknown, why: string) => new EntityError('INVALID_OFFSET', `'${String(raw)}' is not a valid offset: ${why}`);

/** The keys of an offset made by `encodeOffsetKeys` with `count` keys, each checked by `valid`. */
export function decodeOffsetKeys(raw: unknown, count: number, valid: (key: string, index: number) => boolean): string[] | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string' || !BASE64.test(raw) || raw.length % 4 !== 0) throw invalidOffset(raw, 'bad base64 encoding');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64').toString('utf8'));
  } catch {
    throw invalidOffset(raw, 'bad json encoding');
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || parsed.some((key) => typeof key !== 'string')) throw invalidOffset(raw, 'bad json encoding');
  // Offsets are made from keys; anything else would reach the query as a bad value (a 500).
  const keys = parsed as string[];
  if (keys.length !== count || !keys.every(valid)) throw invalidOffset(raw, 'not a primary key');
  return keys;
}

export function decodeOffset(raw: unknown): string | undefined {
  return decodeOffsetKeys(raw, 1, isUuid)?.[0];
}

export type TagsFilter = { readonly mode: 'and' | 'or'; readonly tags: readonly string[] };

// The bytes Kong's filter accepts (`kong/api/endpoints.lua`): a space is allowed, `,` and `/` are not.
const TAG = '[\\x20-\\x2B\\x2D\\x2E\\x30-\\x7E\\u0080-\\uFFFF]+';
const MAX_TAGS = 5;
const AND = new RegExp(`^${TAG}(,${TAG})*$`);
const OR = new RegExp(`^${TAG}(/${TAG})+$`);

/** `?tags=a,b` matches entities with both tags; `?tags=a/b` with either; not both forms. */
export function parseTags(raw: unknown): TagsFilter | undefined {
  if (raw === undefined) return undefined;
  if (raw === '') throw invalidTags('cannot be null');
  const value = Array.isArray(raw) ? raw[0] : raw;
  let filter: TagsFilter | undefined;
  if (typeof value === 'string' && AND.test(value)) filter = { mode: 'and', tags: value.split(',') };
  else if (typeof value === 'string' && OR.test(value)) filter = { mode: 'or', tags: value.split('/') };
  if (!filter) throw invalidTags('invalid filter syntax');
  if (filter.tags.length > MAX_TAGS) throw invalidTags(`cannot query more than ${MAX_TAGS} tags`);
  return filter;
}

/** Kong's code 11 for a `tags` filter. */
export function invalidTags(why: string): EntityError {
  return new EntityError('INVALID_OPTIONS', `invalid option (tags: ${why})`, { tags: why });
}
