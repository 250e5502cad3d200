import type { NextFunction, Request, Response } from 'express';
import { schemaViolation, type FieldErrors } from '@keygate/entities';
import { HttpError } from './errors';

/**
 * Values PostgreSQL cannot store in a text column (SQLSTATE 22021 for NUL) or could only store
 * altered (a lone UTF-16 surrogate becomes U+FFFD): refused at the edge with a 400 that names
 * the path segment, query parameter or body field, instead of a 500 from the database.
 */
const NUL = '\u0000';
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function problem(value: string): string | undefined {
  if (value.includes(NUL)) return 'must not contain a NUL character';
  if (LONE_SURROGATE.test(value)) return 'must be valid Unicode (lone surrogate)';
  return undefined;
}

/**
 * Before routing: every path segment must be percent-encoded UTF-8 (express would throw a
 * URIError on `%FF%FE` or `%E0%A4%A` and answer 500) and every decoded segment and query value
 * storable.
 */
export function rejectMalformedUrl() {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const segments = req.path.split('/');
    for (const segment of segments) {
      let decoded: string;
      try {
        decoded = decodeURIComponent(segment);
      } catch {
        // The raw segment holds only URL characters, so it is safe to show.
        return next(HttpError.badRequest(`Invalid path segment '${clip(segment)}': malformed percent-encoding (must be UTF-8)`));
      }
      const why = problem(decoded);
      if (why) return next(HttpError.badRequest(`Invalid path segment '${clip(segment)}': ${why}`));
    }
    for (const [name, value] of Object.entries(req.query)) {
      const values = Array.isArray(value) ? value : [value];
      const why = problem(name) ?? values.map((v) => (typeof v === 'string' ? problem(v) : undefined)).find(Boolean);
      if (why) return next(HttpError.badRequest(`Invalid query parameter '${clip(JSON.stringify(name).slice(1, -1))}': ${why}`));
    }
    next();
  };
}

/** After body parsing: every key and string in the body must be storable (schema violation). */
export function rejectUnstorableBody() {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const found = findProblem(req.body, []);
    if (!found) return next();
    next(schemaViolation(nest(found.path, found.why)));
  };
}

type Found = { path: Array<string | number>; why: string };

function findProblem(value: unknown, path: Array<string | number>, depth = 0): Found | undefined {
  if (typeof value === 'string') {
    const why = problem(value);
    return why ? { path, why } : undefined;
  }
  // Bodies are parsed with a nesting limit; this bound only keeps the walk finite.
  if (depth > 64 || value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = findProblem(item, [...path, i], depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value)) {
    const keyWhy = problem(key);
    if (keyWhy) return { path: [...path, JSON.stringify(key).slice(1, -1)], why: `field name ${keyWhy}` };
    const found = findProblem(item, [...path, key], depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** `['config', 'key_names', 1]` -> `{config: {key_names: [null, why]}}`, Kong's field error shape. */
function nest(path: Array<string | number>, why: string): FieldErrors {
  const build = (rest: Array<string | number>): unknown => {
    const [head, ...tail] = rest;
    if (head === undefined) return why;
    // Kong lists array items by position; a far index is named instead of padded with nulls.
    if (typeof head === 'number' && head <= 100) return [...Array<null>(head).fill(null), build(tail)];
    return { [String(head)]: build(tail) };
  };
  const nested = build(path.length > 0 ? path : ['@entity']);
  return nested as FieldErrors;
}

function clip(text: string): string {
  return text.length > 100 ? `${text.slice(0, 100)}...` : text;
}
