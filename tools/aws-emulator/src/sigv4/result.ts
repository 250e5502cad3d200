import type { Principal, StoredCredential } from '../credentials';

/**
 * Why a request was refused. The names are those of AWS's query protocol (STS); `../errors.ts`
 * maps them to each protocol's own codes (`UnrecognizedClientException` and so on).
 */
export type AuthFailureCode =
  | 'MissingAuthenticationToken'
  | 'IncompleteSignature'
  | 'InvalidClientTokenId'
  | 'ExpiredToken'
  | 'SignatureDoesNotMatch'
  | 'RequestExpired';

export interface VerifySuccess {
  readonly ok: true;
  readonly accessKeyId: string;
  readonly principal: Principal;
  readonly credential: StoredCredential;
  readonly presigned: boolean;
}

export interface VerifyFailure {
  readonly ok: false;
  readonly code: AuthFailureCode;
  readonly message: string;
}

export type VerifyResult = VerifySuccess | VerifyFailure;

export const MESSAGES = {
  missing: 'Missing Authentication Token',
  invalidToken: 'The security token included in the request is invalid.',
  expiredToken: 'The security token included in the request is expired',
  badSignature:
    'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
  requestExpired: 'Request has expired',
} as const;

export function fail(code: AuthFailureCode, message: string): VerifyFailure {
  return { ok: false, code, message };
}

