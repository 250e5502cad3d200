import { timingSafeEqual } from 'node:crypto';
import type { CredentialLookup } from '../credentials';
import {
  EMPTY_SHA256,
  UNSIGNED_PAYLOAD,
  canonicalHeaderValue,
  canonicalRequest,
  formatAmzDate,
  parseAmzDate,
  parseQuery,
  sha256Hex,
  signature,
  signingKey,
  stringToSign,
  type HeaderList,
} from './canonical';
import { parseAuthorizationHeader, parsePresignedQuery, type SignatureParts } from './parse';
import { MESSAGES, fail, type VerifyFailure, type VerifyResult } from './result';

const WEEK_SECONDS = 604800;

/** A request as received: the path and query exactly as they were on the wire. */
export interface SignedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: HeaderList;
  readonly body?: Buffer | string;
}

export interface VerifyOptions {
  /** The keys to check against (a `CredentialStore`, or anything with `lookup`). */
  readonly credentials: CredentialLookup;
  /** Service the credential scope must name, e.g. `secretsmanager`, `sts`, `rds-db`. */
  readonly service: string;
  readonly region: string;
  /** @defaultValue the machine's time */
  readonly now?: Date;
  /** Allowed distance between `X-Amz-Date` and now for header-signed requests. @defaultValue 900 */
  readonly maxSkewSeconds?: number;
  /** Upper bound on a presigned URL's lifetime, whatever its `X-Amz-Expires` says. @defaultValue 604800 */
  readonly maxExpiresSeconds?: number;
}

/** Verifies a header-signed (`Authorization: AWS4-HMAC-SHA256 ...`) or presigned (query) request. */
export function verifyRequest(request: SignedRequest, options: VerifyOptions): VerifyResult {
  const query = parseQuery(request.query);
  const authorization = canonicalHeaderValue(request.headers, 'authorization');
  if (authorization !== undefined) {
    const parts = parseAuthorizationHeader(authorization, canonicalHeaderValue(request.headers, 'x-amz-date'));
    if ('code' in parts) return parts;
    return check({ ...parts, securityToken: canonicalHeaderValue(request.headers, 'x-amz-security-token') }, request, query, options);
  }
  if (query.some(([key]) => key.startsWith('X-Amz-'))) {
    const parts = parsePresignedQuery(query);
    if ('code' in parts) return parts;
    return check(parts, request, query, options);
  }
  return fail('MissingAuthenticationToken', MESSAGES.missing);
}

/**
 * Verifies a presigned URL such as an RDS IAM auth token
 * (`host:5432/?Action=connect&DBUser=app&X-Amz-Algorithm=...`; the scheme may be left out).
 * Only the `host` header can be known from a URL, so URLs that signed other headers fail.
 */
export function verifyPresignedUrl(url: string, options: VerifyOptions & { readonly method?: string }): VerifyResult {
  const withoutScheme = url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const pathStart = withoutScheme.search(/[/?#]/);
  const host = pathStart === -1 ? withoutScheme : withoutScheme.slice(0, pathStart);
  const rest = (pathStart === -1 ? '' : withoutScheme.slice(pathStart)).replace(/#.*$/, '');
  const queryStart = rest.indexOf('?');
  const path = (queryStart === -1 ? rest : rest.slice(0, queryStart)) || '/';
  const query = queryStart === -1 ? '' : rest.slice(queryStart + 1);
  const parsed = parsePresignedQuery(parseQuery(query));
  if ('code' in parsed) return parsed;
  return check(parsed, { method: options.method ?? 'GET', path, query, headers: [['host', host]] }, parseQuery(query), options);
}

function check(
  parts: SignatureParts,
  request: SignedRequest,
  query: ReadonlyArray<readonly [string, string]>,
  options: VerifyOptions,
): VerifyResult {
  const now = options.now ?? new Date();
  const credential = options.credentials.lookup(parts.accessKeyId);
  if (!credential) return fail('InvalidClientTokenId', MESSAGES.invalidToken);
  if ((credential.sessionToken ?? '') !== (parts.securityToken ?? '')) return fail('InvalidClientTokenId', MESSAGES.invalidToken);
  if (credential.expiration && credential.expiration.getTime() <= now.getTime()) return fail('ExpiredToken', MESSAGES.expiredToken);

  const scopeProblem = checkScope(parts, options);
  if (scopeProblem) return scopeProblem;
  const timeProblem = checkTime(parts, now, options);
  if (timeProblem) return timeProblem;
  if (!parts.signedHeaders.includes('host')) {
    return fail('SignatureDoesNotMatch', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }

  const key = signingKey(credential.secretAccessKey, parts.scopeDate, parts.region, parts.service);
  const scope = `${parts.scopeDate}/${parts.region}/${parts.service}/aws4_request`;
  for (const payloadHash of payloadHashes(request, parts.presigned)) {
    const canonical = canonicalRequest({
      method: request.method,
      wirePath: request.path,
      query,
      omitQueryKey: parts.presigned ? 'X-Amz-Signature' : undefined,
      headers: request.headers,
      signedHeaders: parts.signedHeaders,
      payloadHash,
    });
    if (sameHex(signature(key, stringToSign(parts.amzDate, scope, canonical)), parts.signature)) {
      return { ok: true, accessKeyId: credential.accessKeyId, principal: credential.principal, credential, presigned: parts.presigned };
    }
  }
  return fail('SignatureDoesNotMatch', MESSAGES.badSignature);
}

function checkScope(parts: SignatureParts, options: VerifyOptions): VerifyFailure | undefined {
  const httpDate = parts.amzDate.slice(0, 8);
  if (parts.scopeDate !== httpDate) {
    return fail(
      'SignatureDoesNotMatch',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${parts.scopeDate}' != '${httpDate}', from '${parts.amzDate}'.`,
    );
  }
  if (parts.region !== options.region) return fail('SignatureDoesNotMatch', `Credential should be scoped to a valid region, not '${parts.region}'. `);
  if (parts.service !== options.service) return fail('SignatureDoesNotMatch', `Credential should be scoped to correct service: '${options.service}'. `);
  if (parts.terminator !== 'aws4_request') {
    return fail('SignatureDoesNotMatch', `Credential should be scoped with a valid terminator: 'aws4_request', not '${parts.terminator}'. `);
  }
  return undefined;
}

function checkTime(parts: SignatureParts, now: Date, options: VerifyOptions): VerifyFailure | undefined {
  const signedAt = parseAmzDate(parts.amzDate);
  if (!signedAt) return fail('IncompleteSignature', `Invalid date format: '${parts.amzDate}'. Expected YYYYMMDD'T'HHMMSS'Z'.`);
  const skewMs = (options.maxSkewSeconds ?? 900) * 1000;
  const nowText = formatAmzDate(now);
  if (signedAt.getTime() - now.getTime() > skewMs) {
    const limit = formatAmzDate(new Date(now.getTime() + skewMs));
    return fail('RequestExpired', `Signature not yet current: ${parts.amzDate} is still later than ${limit} (${nowText} + 15 min.)`);
  }
  if (parts.presigned) {
    const expires = parts.expiresSeconds ?? 0;
    if (!Number.isInteger(expires) || expires < 1 || expires > WEEK_SECONDS) {
      return fail('IncompleteSignature', `X-Amz-Expires must be a whole number of seconds from 1 to ${WEEK_SECONDS}.`);
    }
    const lifetime = Math.min(expires, options.maxExpiresSeconds ?? WEEK_SECONDS);
    if (now.getTime() > signedAt.getTime() + lifetime * 1000) return fail('RequestExpired', MESSAGES.requestExpired);
    return undefined;
  }
  if (now.getTime() - signedAt.getTime() > skewMs) {
    const limit = formatAmzDate(new Date(now.getTime() - skewMs));
    return fail('RequestExpired', `Signature expired: ${parts.amzDate} is now earlier than ${limit} (${nowText} - 15 min.)`);
  }
  return undefined;
}

/**
 * The payload hashes a signer may have used. Header-signed requests sign the body's hash (or the
 * value of `x-amz-content-sha256` when they send one); presigned URLs sign either the empty
 * body's hash (SDK v3, RDS signer) or `UNSIGNED-PAYLOAD` (some other signers).
 */
function payloadHashes(request: SignedRequest, presigned: boolean): string[] {
  const declared = canonicalHeaderValue(request.headers, 'x-amz-content-sha256');
  const body = request.body ?? '';
  const actual = body.length === 0 ? EMPTY_SHA256 : sha256Hex(body);
  if (declared !== undefined) {
    // A declared hash that is not the body's is refused: the body could have been swapped.
    return declared === UNSIGNED_PAYLOAD || declared === actual ? [declared] : [];
  }
  return presigned ? [actual, UNSIGNED_PAYLOAD] : [actual];
}

function sameHex(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

