import type { NextFunction, Request, Response } from 'express';
import { DatabaseBusyError, DatabaseError, DatabaseTimeoutError, DatabaseUnavailableError } from '@keygate/db';
import { EntityError } from '@keygate/entities';
import type { Logger } from '@keygate/logging';
import { HttpError } from './errors';

/** HTTP status for each of Kong's DAO error codes. */
const ENTITY_STATUS: Record<number, number> = {
  1: 400, 2: 400, 3: 409, 4: 400, 5: 409, 6: 404, 7: 400, 8: 500, 9: 400, 10: 400, 11: 400, 12: 405, 13: 400,
};

/**
 * Errors from other layers that carry a stable `code`: their status, and whether their message
 * is meant for the client (else the body is generic and the details go to the log).
 */
const CODE_STATUS: Record<string, { status: number; expose: boolean }> = {
  KEYRING_DISABLED: { status: 400, expose: true },
  KEYRING_STRATEGY: { status: 400, expose: true },
  KEYRING_BAD_REQUEST: { status: 400, expose: true },
  KEYRING_UNKNOWN_KEY: { status: 404, expose: true },
  KEYRING_ACTIVE_KEY: { status: 409, expose: true },
  KEYRING_KEY_IN_USE: { status: 409, expose: true },
  KEYRING_NOT_READY: { status: 503, expose: true },
  KEYRING_VAULT: { status: 502, expose: true },
  KEY_NOT_AVAILABLE: { status: 503, expose: true },
  FIELD_INTEGRITY: { status: 500, expose: false },
  // A weaker format where $ke$2$ belongs (forged, or an unfinished migration): like tampering.
  LEGACY_FORMAT_REFUSED: { status: 500, expose: false },
  PLAINTEXT_REFUSED: { status: 500, expose: false },
  KEYRING_KEY_CONFLICT: { status: 409, expose: true },
  // A stored row (not this request, not the server) is the problem: say which, never its value.
  ROW_TAMPERED: { status: 409, expose: true },
  ROW_KEY_NOT_AVAILABLE: { status: 503, expose: true },
  // Kong's RBAC bodies: 401 `Invalid RBAC credentials`, 403 `<user>, you do not have permissions to <action> this resource`.
  RBAC_UNAUTHORIZED: { status: 401, expose: true },
  RBAC_FORBIDDEN: { status: 403, expose: true },
  RBAC_BAD_REQUEST: { status: 400, expose: true },
  RBAC_NOT_FOUND: { status: 404, expose: true },
  RBAC_CONFLICT: { status: 409, expose: true },
  // Node enrollment (/cluster/*): each refusal says which case it is, never the token.
  ENROLLMENT_BAD_REQUEST: { status: 400, expose: true },
  ENROLLMENT_NOT_FOUND: { status: 404, expose: true },
  ENROLLMENT_TOKEN_UNKNOWN: { status: 401, expose: true },
  ENROLLMENT_TOKEN_GONE: { status: 410, expose: true },
  NODE_CREDENTIAL_REFUSED: { status: 403, expose: true },
  ENROLLMENT_RATE_LIMITED: { status: 429, expose: true },
};

/**
 * Values the database refused as data (class 22: NUL, bad text for a type, out of range; 54000:
 * too long for an index). The edge checks name the field first; this keeps anything they miss
 * a 400 instead of a 500.
 */
const isDataRejected = (err: unknown): err is DatabaseError =>
  err instanceof DatabaseError && typeof err.sqlState === 'string' && (err.sqlState.startsWith('22') || err.sqlState === '54000');

const KEY_HINT = 'recover it (POST /keyring/recover) or import it (POST /keyring/import)';

export interface ErrorResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
  /** True for failures inside (logged with the request id); false for the client's mistakes. */
  readonly internal: boolean;
}

/**
 * The one place where errors become HTTP responses. Client mistakes get Kong's bodies; a
 * failure inside gets a generic message and the request id, and the details go to the log.
 */
export function toErrorResponse(err: unknown, requestId: string): ErrorResponse {
  if (err instanceof HttpError) return { status: err.status, body: err.body, internal: false };
  if (err instanceof EntityError) {
    const status = ENTITY_STATUS[err.kongCode] ?? 400;
    return { status, body: err.toBody(), internal: status >= 500 };
  }
  if (err instanceof DatabaseUnavailableError || err instanceof DatabaseTimeoutError || err instanceof DatabaseBusyError) {
    return { status: 503, body: { message: 'The database is currently unavailable', request_id: requestId }, internal: true };
  }
  if (isDataRejected(err)) {
    return { status: 400, body: { message: `The database refused a value of this request (SQLSTATE ${err.sqlState})` }, internal: false };
  }
  if (isBodyParserError(err)) return { status: err.status, body: { message: err.message }, internal: false };
  const coded = typeof (err as { code?: unknown })?.code === 'string' ? CODE_STATUS[(err as { code: string }).code] : undefined;
  if (coded && coded.expose) {
    const code = (err as { code: string }).code;
    const message = code === 'KEY_NOT_AVAILABLE' ? `${(err as Error).message}; ${KEY_HINT}` : (err as Error).message;
    // Structured details a client can act on (e.g. rows per table still using a key).
    const details = (err as { details?: unknown }).details;
    const extra = details && typeof details === 'object' ? (details as Record<string, unknown>) : {};
    return {
      status: coded.status,
      body: coded.status >= 500 ? { message, ...extra, request_id: requestId } : { message, ...extra },
      internal: coded.status >= 500,
    };
  }
  return { status: 500, body: { message: 'An unexpected error occurred', request_id: requestId }, internal: true };
}

function isBodyParserError(err: unknown): err is { status: number; message: string; expose: true } {
  return typeof err === 'object' && err !== null && (err as { expose?: unknown }).expose === true && typeof (err as { status?: unknown }).status === 'number';
}

export function errorHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const response = toErrorResponse(err, req.requestId);
    if (response.internal) {
      logger.error({ err, request_id: req.requestId, method: req.method, path: req.path, status: response.status }, 'request failed');
    } else if (isDataRejected(err)) {
      // A check at the edge is missing for this input: worth an operator's (and a developer's) eye.
      logger.warn({ request_id: req.requestId, method: req.method, path: req.path, sql_state: err.sqlState }, 'database refused a request value');
    } else {
      logger.debug({ request_id: req.requestId, status: response.status, message: (err as Error).message }, 'request rejected');
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(response.status).json(response.body);
  };
}
