import { createHash, createHmac } from 'node:crypto';

/**
 * The pieces of Signature Version 4 that signer and verifier compute identically: canonical
 * request, string to sign, signing key. Written from AWS's specification and checked against
 * both the JavaScript SDK v3 and botocore (the `aws` CLI).
 */
export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

export type HeaderList = ReadonlyArray<readonly [name: string, value: string]>;

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** RFC 3986 encoding: everything but `A-Z a-z 0-9 - _ . ~` is percent-encoded. */
export function uriEscape(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Decodes one percent-encoded component; a malformed escape is kept as is (it then fails the signature). */
export function uriUnescape(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Splits a raw query string into decoded pairs, keeping `+` literal as SigV4 signers encode spaces as `%20`. */
export function parseQuery(rawQuery: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = eq === -1 ? part : part.slice(0, eq);
    const value = eq === -1 ? '' : part.slice(eq + 1);
    pairs.push([uriUnescape(key), uriUnescape(value)]);
  }
  return pairs;
}

/**
 * Non-S3 services sign the path as sent on the wire, normalized and encoded once more (so a
 * wire `%20` is signed as `%2520`).
 */
export function canonicalUri(wirePath: string): string {
  const segments: string[] = [];
  for (const segment of wirePath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const trailing = segments.length > 0 && wirePath.endsWith('/') ? '/' : '';
  const normalized = `/${segments.join('/')}${trailing}`;
  return uriEscape(normalized).replace(/%2F/g, '/');
}

export function canonicalQuery(pairs: ReadonlyArray<readonly [string, string]>, omit?: string): string {
  return pairs
    .filter(([key]) => key !== omit)
    .map(([key, value]) => [uriEscape(key), uriEscape(value)] as const)
    .sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
}

/** The value of each signed header: repeated headers joined by `,`, whitespace runs collapsed. */
export function canonicalHeaderValue(headers: HeaderList, name: string): string | undefined {
  const values = headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v.trim().replace(/\s+/g, ' '));
  return values.length === 0 ? undefined : values.join(',');
}

export interface CanonicalRequestParts {
  readonly method: string;
  readonly wirePath: string;
  readonly query: ReadonlyArray<readonly [string, string]>;
  readonly omitQueryKey?: string;
  readonly headers: HeaderList;
  readonly signedHeaders: readonly string[];
  readonly payloadHash: string;
}

export function canonicalRequest(parts: CanonicalRequestParts): string {
  const headerLines = parts.signedHeaders.map((name) => `${name}:${canonicalHeaderValue(parts.headers, name) ?? ''}\n`).join('');
  return [
    parts.method.toUpperCase(),
    canonicalUri(parts.wirePath),
    canonicalQuery(parts.query, parts.omitQueryKey),
    headerLines,
    parts.signedHeaders.join(';'),
    parts.payloadHash,
  ].join('\n');
}

export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return [ALGORITHM, amzDate, scope, sha256Hex(canonical)].join('\n');
}

export function signingKey(secretAccessKey: string, date: string, region: string, service: string): Buffer {
  const kDate = createHmac('sha256', `AWS4${secretAccessKey}`).update(date).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kService = createHmac('sha256', kRegion).update(service).digest();
  return createHmac('sha256', kService).update('aws4_request').digest();
}

export function signature(key: Buffer, toSign: string): string {
  return createHmac('sha256', key).update(toSign).digest('hex');
}

/** `20240102T030405Z` -> Date, or undefined when the text is not in that form. */
export function parseAmzDate(text: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  const date = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function formatAmzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}
