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
  return Buffer.from(JSON.stringify([id])).toString('base64');
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function decodeOffset(raw: unknown): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  const invalid = (why: string) => new EntityError('INVALID_OFFSET', `'${String(raw)}' is not a valid offset: ${why}`);
  if (typeof raw !== 'string' || !BASE64.test(raw) || raw.length % 4 !== 0) throw invalid('bad base64 encoding');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64').toString('utf8'));
  } catch {
    throw invalid('bad json encoding');
  }
  if (!Array.isArray(parsed) || typeof parsed[0] !== 'string') throw invalid('bad json encoding');
  // Offsets are made from ids; anything else would reach the query as a bad uuid (a 500).
  if (parsed.length !== 1 || !isUuid(parsed[0])) throw invalid('not a primary key');
  return parsed[0];
}

export type TagsFilter = { readonly mode: 'and' | 'or'; readonly tags: readonly string[] };

const TAG = '[^,/\\s]+';
const AND = new RegExp(`^${TAG}(,${TAG})*$`);
const OR = new RegExp(`^${TAG}(/${TAG})+$`);

/** `?tags=a,b` matches entities with both tags; `?tags=a/b` with either; not both forms. */
export function parseTags(raw: unknown): TagsFilter | undefined {
  if (raw === undefined || raw === '') return undefined;
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (typeof value === 'string' && AND.test(value)) return { mode: 'and', tags: value.split(',') };
  if (typeof value === 'string' && OR.test(value)) return { mode: 'or', tags: value.split('/') };
  throw new EntityError('INVALID_OPTIONS', 'invalid option (tags: invalid filter syntax)', { tags: 'invalid filter syntax' });
}
