import type { AuthFailureCode, VerifyFailure } from './sigv4/result';

/**
 * An error answer in AWS's terms: a code (`ResourceNotFoundException`, `InvalidClientTokenId`),
 * the message AWS sends, and the HTTP status. The protocol layers render it as JSON or XML.
 */
export class AwsServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly fault: 'Sender' | 'Receiver' = 'Sender',
  ) {
    super(message);
    this.name = 'AwsServiceError';
  }
}

// JSON-protocol services (Secrets Manager) name the authentication errors differently from the
// query-protocol ones (STS), and answer them with 400 where STS uses 403.
const JSON_AUTH_CODES: Record<AuthFailureCode, string> = {
  MissingAuthenticationToken: 'MissingAuthenticationTokenException',
  IncompleteSignature: 'IncompleteSignatureException',
  InvalidClientTokenId: 'UnrecognizedClientException',
  ExpiredToken: 'ExpiredTokenException',
  SignatureDoesNotMatch: 'InvalidSignatureException',
  RequestExpired: 'InvalidSignatureException',
};

const QUERY_AUTH_CODES: Record<AuthFailureCode, string> = {
  MissingAuthenticationToken: 'MissingAuthenticationToken',
  IncompleteSignature: 'IncompleteSignature',
  InvalidClientTokenId: 'InvalidClientTokenId',
  ExpiredToken: 'ExpiredToken',
  SignatureDoesNotMatch: 'SignatureDoesNotMatch',
  RequestExpired: 'SignatureDoesNotMatch',
};

export function jsonAuthError(failure: VerifyFailure): AwsServiceError {
  return new AwsServiceError(JSON_AUTH_CODES[failure.code], failure.message, 400);
}

export function queryAuthError(failure: VerifyFailure): AwsServiceError {
  const message = failure.code === 'MissingAuthenticationToken' ? 'Request is missing Authentication Token' : failure.message;
  const status = failure.code === 'IncompleteSignature' ? 400 : 403;
  return new AwsServiceError(QUERY_AUTH_CODES[failure.code], message, status);
}
