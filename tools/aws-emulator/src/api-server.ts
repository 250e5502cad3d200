import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '@keygate/tool-kit';
import type { CredentialStore } from './credentials';
import { AwsServiceError } from './errors';
import { json, receive, send, type ReceivedRequest, type Reply } from './http';
import { handleSecretsManager, jsonError, type SecretsProtocolContext } from './secrets/protocol';
import type { VerifyResult } from './sigv4/result';
import { verifyPresignedUrl } from './sigv4/verify';
import { handleSts, xmlError, type StsProtocolContext } from './sts/protocol';

/** How an unavailable endpoint fails: an AWS 503 answer, or a dropped connection. */
export type OutageMode = 'error' | 'reset';

export interface Availability {
  up: boolean;
  mode: OutageMode;
}

export interface ApiContext {
  readonly clock: Clock;
  readonly region: string;
  readonly credentials: CredentialStore;
  readonly secrets: SecretsProtocolContext;
  readonly sts: StsProtocolContext;
  readonly availability: Availability;
}

/**
 * The AWS API port: Secrets Manager (JSON, recognised by `X-Amz-Target`) and STS (query
 * protocol) share it, as they share an endpoint URL in `aws --endpoint-url`. Paths under
 * `/_emulator/` are the emulator's own and need no signature.
 */
export function apiHandler(context: ApiContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    receive(req)
      .then((request) => {
        if (request.path.startsWith('/_emulator/')) return send(res, internal(context, request), context.clock.now());
        const isJson = request.header('x-amz-target') !== undefined;
        if (!context.availability.up) {
          if (context.availability.mode === 'reset') return void req.socket.destroy();
          const outage = new AwsServiceError(isJson ? 'ServiceUnavailableException' : 'ServiceUnavailable', 'Service is unavailable. Please try again later.', 503, 'Receiver');
          return send(res, isJson ? jsonError(outage) : xmlError(outage), context.clock.now());
        }
        const reply = isJson ? handleSecretsManager(context.secrets, request) : handleSts(context.sts, request);
        return send(res, reply, context.clock.now());
      })
      .catch((error: unknown) => {
        const failure = new AwsServiceError('InternalFailure', error instanceof Error ? error.message : String(error), 500, 'Receiver');
        if (!res.headersSent) send(res, jsonError(failure), context.clock.now());
      });
  };
}

function internal(context: ApiContext, request: ReceivedRequest): Reply {
  if (request.path === '/_emulator/health') return json(200, { up: context.availability.up, region: context.region });
  if (request.path === '/_emulator/verify-presigned' && request.method === 'POST') {
    let input: { url?: unknown; service?: unknown; maxExpiresSeconds?: unknown };
    try {
      input = JSON.parse(request.body.toString('utf8')) as typeof input;
    } catch {
      return json(400, { message: 'body must be JSON: {"url": "...", "service": "rds-db"}' });
    }
    if (typeof input.url !== 'string' || typeof input.service !== 'string') {
      return json(400, { message: 'body must be JSON: {"url": "...", "service": "rds-db"}' });
    }
    const result = verifyPresignedUrl(input.url, {
      credentials: context.credentials,
      service: input.service,
      region: context.region,
      now: context.clock.now(),
      maxExpiresSeconds: typeof input.maxExpiresSeconds === 'number' ? input.maxExpiresSeconds : undefined,
    });
    return json(200, publicResult(result));
  }
  return json(404, { message: `no emulator endpoint ${request.method} ${request.path}` });
}

/** The verification result without the secret key behind it. */
export function publicResult(result: VerifyResult): Record<string, unknown> {
  if (!result.ok) return { ok: false, code: result.code, message: result.message };
  return { ok: true, accessKeyId: result.accessKeyId, principal: result.principal };
}
