import { ALGORITHM } from './canonical';
import type { VerifyFailure } from './result';

/** What a signature claims, from an `Authorization` header or from `X-Amz-*` query parameters. */
export interface SignatureParts {
  readonly presigned: boolean;
  readonly accessKeyId: string;
  readonly scopeDate: string;
  readonly region: string;
  readonly service: string;
  readonly terminator: string;
  readonly signedHeaders: string[];
  readonly signature: string;
  readonly amzDate: string;
  readonly securityToken?: string;
  readonly expiresSeconds?: number;
}

type CredentialScope = Pick<SignatureParts, 'accessKeyId' | 'scopeDate' | 'region' | 'service' | 'terminator'>;

function incomplete(message: string): VerifyFailure {
  return { ok: false, code: 'IncompleteSignature', message };
}

function parseCredential(credential: string): CredentialScope | VerifyFailure {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts.some((part) => part === '')) {
    return incomplete(`Credential should be of the form '<access key id>/<date>/<region>/<service>/aws4_request', not '${credential}'.`);
  }
  const [accessKeyId = '', scopeDate = '', region = '', service = '', terminator = ''] = parts;
  return { accessKeyId, scopeDate, region, service, terminator };
}

/** `AWS4-HMAC-SHA256 Credential=AKID/20240102/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=...` */
export function parseAuthorizationHeader(header: string, amzDate: string | undefined): SignatureParts | VerifyFailure {
  const space = header.indexOf(' ');
  const algorithm = space === -1 ? header : header.slice(0, space);
  if (algorithm !== ALGORITHM) return incomplete(`Unsupported AWS 'algorithm': '${algorithm}'`);
  const fields = new Map<string, string>();
  for (const item of header.slice(space + 1).split(',')) {
    const eq = item.indexOf('=');
    if (eq > 0) fields.set(item.slice(0, eq).trim(), item.slice(eq + 1).trim());
  }
  const problems = ['Credential', 'Signature', 'SignedHeaders']
    .filter((name) => !fields.get(name))
    .map((name) => `Authorization header requires '${name}' parameter.`);
  if (!amzDate) problems.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  if (problems.length > 0) return incomplete(`${problems.join(' ')} Authorization=${header}`);
  const scope = parseCredential(fields.get('Credential')!);
  if ('code' in scope) return scope;
  return {
    presigned: false,
    ...scope,
    signedHeaders: fields.get('SignedHeaders')!.split(';'),
    signature: fields.get('Signature')!,
    amzDate: amzDate!,
  };
}

const PRESIGN_PARAMS = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-SignedHeaders', 'X-Amz-Date', 'X-Amz-Expires'];

/** `?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=...&X-Amz-Date=...&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=...` */
export function parsePresignedQuery(query: ReadonlyArray<readonly [string, string]>): SignatureParts | VerifyFailure {
  const get = (name: string): string | undefined => query.find(([key]) => key === name)?.[1];
  const missing = PRESIGN_PARAMS.filter((name) => !get(name));
  if (missing.length > 0) {
    return incomplete(`AWS query-string parameters must include ${missing.map((m) => `'${m}'`).join(', ')}. Re-examine the query-string parameters.`);
  }
  if (get('X-Amz-Algorithm') !== ALGORITHM) return incomplete(`Unsupported AWS 'algorithm': '${get('X-Amz-Algorithm')}'`);
  const scope = parseCredential(get('X-Amz-Credential')!);
  if ('code' in scope) return scope;
  const expires = get('X-Amz-Expires')!;
  return {
    presigned: true,
    ...scope,
    signedHeaders: get('X-Amz-SignedHeaders')!.split(';'),
    signature: get('X-Amz-Signature')!,
    amzDate: get('X-Amz-Date')!,
    securityToken: get('X-Amz-Security-Token'),
    expiresSeconds: /^\d+$/.test(expires) ? Number(expires) : Number.NaN,
  };
}
