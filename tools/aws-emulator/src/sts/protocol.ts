import { randomUUID } from 'node:crypto';
import { AwsServiceError, queryAuthError } from '../errors';
import type { ReceivedRequest, Reply } from '../http';
import { verifyRequest } from '../sigv4/verify';
import { SIGNED_OPERATIONS, UNSIGNED_OPERATIONS, type StsContext } from './operations';
import { errorDocument, resultDocument } from './xml';

export interface StsProtocolContext extends StsContext {
  readonly region: string;
}

export function xmlError(error: AwsServiceError): Reply {
  const requestId = randomUUID();
  return { status: error.status, headers: { 'Content-Type': 'text/xml', 'x-amzn-RequestId': requestId }, body: errorDocument(error, requestId) };
}

/** The query protocol's parameters: the form body of a POST, or the query string of a GET (presigned calls). */
export function queryParams(request: ReceivedRequest): URLSearchParams {
  const params = new URLSearchParams(request.query);
  if (request.method === 'POST' && request.body.length > 0) {
    for (const [key, value] of new URLSearchParams(request.body.toString('utf8'))) params.append(key, value);
  }
  return params;
}

/** One STS call over the query protocol: `Action=AssumeRole&Version=2011-06-15&...`, answered in XML. */
export function handleSts(context: StsProtocolContext, request: ReceivedRequest): Reply {
  try {
    const params = queryParams(request);
    const action = params.get('Action') ?? '';
    const version = params.get('Version') ?? '2011-06-15';
    const unsigned = UNSIGNED_OPERATIONS[action];
    let result;
    if (unsigned) {
      result = unsigned(context, params);
    } else {
      const verified = verifyRequest(request, { credentials: context.credentials, service: 'sts', region: context.region, now: context.clock.now() });
      if (!verified.ok) throw queryAuthError(verified);
      const signed = SIGNED_OPERATIONS[action];
      if (!signed) throw new AwsServiceError('InvalidAction', `Could not find operation ${action} for version ${version}`);
      result = signed(context, params, verified);
    }
    const requestId = randomUUID();
    return { status: 200, headers: { 'Content-Type': 'text/xml', 'x-amzn-RequestId': requestId }, body: resultDocument(action, result, requestId) };
  } catch (error) {
    if (error instanceof AwsServiceError) return xmlError(error);
    throw error;
  }
}
