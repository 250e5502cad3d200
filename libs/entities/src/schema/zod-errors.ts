import type { z } from 'zod';
import type { FieldError, FieldErrors } from './errors';

const ARTICLE: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean',
  array: 'an array',
  object: 'a record',
  record: 'a map',
};

/** zod's own wording (as opposed to a message our field helpers set). */
const ZOD_DEFAULT = /^(Invalid|Too (big|small)|Expected|Unrecognized)/;

/** Kong's wording for a zod issue. Messages set by our field helpers pass through unchanged. */
function kongMessage(issue: z.core.$ZodIssue): string {
  if (!ZOD_DEFAULT.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'required field missing';
      return `expected ${ARTICLE[issue.expected] ?? issue.expected}`;
    case 'invalid_value':
      return `expected one of: ${issue.values.map(String).join(', ')}`;
    case 'too_small':
      if (issue.origin === 'number' || issue.origin === 'int') return `value must be at least ${issue.minimum}`;
      return `length must be at least ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'number' || issue.origin === 'int') return `value must be at most ${issue.maximum}`;
      return `length must be at most ${issue.maximum}`;
    default:
      return issue.message;
  }
}

function setAt(target: FieldErrors, path: readonly PropertyKey[], message: string): void {
  let node: FieldErrors | Array<FieldError | null> = target;
  path.forEach((segment, i) => {
    const last = i === path.length - 1;
    const key = typeof segment === 'number' ? segment : String(segment);
    const container = node as Record<string | number, FieldError | null>;
    if (last) {
      if (container[key] === undefined || container[key] === null) container[key] = message;
      return;
    }
    const nextIsIndex = typeof path[i + 1] === 'number';
    if (typeof container[key] !== 'object' || container[key] === null) container[key] = nextIsIndex ? [] : {};
    node = container[key] as FieldErrors;
  });
}

/** Turns zod issues into Kong's nested `fields` object (`@entity` for whole-entity checks). */
export function issuesToFields(issues: readonly z.core.$ZodIssue[]): FieldErrors {
  const fields: FieldErrors = {};
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) setAt(fields, [...issue.path, key], 'unknown field');
    } else if (issue.path.length === 0 || issue.path[0] === '@entity') {
      const list = (fields['@entity'] ??= []) as string[];
      list.push(issue.message);
    } else {
      setAt(fields, issue.path, kongMessage(issue));
    }
  }
  fillSparseArrays(fields);
  return fields;
}

function fillSparseArrays(node: FieldError | null): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      if (node[i] === undefined) node[i] = null;
      else fillSparseArrays(node[i] as FieldError);
    }
  } else {
    for (const value of Object.values(node)) fillSparseArrays(value);
  }
}
