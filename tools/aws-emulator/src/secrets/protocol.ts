import { randomUUID } from 'node:crypto';
import type { CredentialLookup } from '../credentials';
import { AwsServiceError, jsonAuthError } from '../errors';
import type { ReceivedRequest, Reply } from '../http';
import { verifyRequest } from '../sigv4/verify';
import { OPERATIONS } from './operations';
import type { SecretsStore } from './store';

export const TARGET_PREFIX = 'secretsmanager.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';

// Errors raised by AWS's request front end (rather than by Secrets Manager itself) spell the
// message field in lower case; the SDKs and botocore read either.
const FRONT_END_CODES = new Set([
  'MissingAuthenticationTokenException',
  'IncompleteSignatureException',
  'UnrecognizedClientException',
  'ExpiredTokenException',
  'InvalidSignatureException',
  'UnknownOperationException',
  'SerializationException',
  'ServiceUnavailableException',
]);

export interface SecretsProtocolContext {
  readonly store: SecretsStore;
  readonly credentials: CredentialLookup;
  readonly region: string;
  readonly now: () => Date;
}

export function jsonError(error: AwsServiceError): Reply {
  const messageKey = FRONT_END_CODES.has(error.code) ? 'message' : 'Message';
  return {
    status: error.status,
    headers: { 'Content-Type': CONTENT_TYPE, 'x-amzn-RequestId': randomUUID(), 'x-amzn-ErrorType': error.code },
    body: JSON.stringify({ __type: error.code, [messageKey]: error.message }),
  };
}

/** One Secrets Manager call over AWS JSON 1.1: `POST /`, `X-Amz-Target: secretsmanager.<Operation>`. */
export function handleSecretsManager(context: SecretsProtocolContext, request: ReceivedRequest): Reply {
  try {
    const target = request.header('x-amz-target') ?? '';
    const verified = verifyRequest(request, { credentials: context.credentials, service: 'secretsmanager', region: context.region, now: context.now() });
    if (!verified.ok) throw jsonAuthError(verified);
    const operation = target.startsWith(TARGET_PREFIX) ? OPERATIONS[target.slice(TARGET_PREFIX.length)] : undefined;
    if (!operation) throw new AwsServiceError('UnknownOperationException', '');
    const output = operation(context.store, parseBody(request.body));
    return { status: 200, headers: { 'Content-Type': CONTENT_TYPE, 'x-amzn-RequestId': randomUUID() }, body: JSON.stringify(output) };
  } catch (error) {
    if (error instanceof AwsServiceError) return jsonError(error);
    throw error;
  }
}

function parseBody(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new AwsServiceError('SerializationException', 'Start of structure or map found where not expected.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AwsServiceError('SerializationException', 'Start of structure or map found where not expected.');
  }
  return parsed as Record<string, unknown>;
}
