import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '@keygate/logging';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Gives each request an id (an incoming `X-Request-Id` if it looks safe, else a new one),
 * returns it in `X-Request-Id`, and logs the request once it is answered.
 */
export function requestContext(logger: Logger, headerName = 'X-Request-Id') {
  return (req: Request, res: Response, next: NextFunction): void => {
    const incoming = req.headers[headerName.toLowerCase()];
    req.requestId = typeof incoming === 'string' && SAFE_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader(headerName, req.requestId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logger.info(
        { request_id: req.requestId, method: req.method, path: req.path, status: res.statusCode, latency_ms: Math.round(ms * 10) / 10 },
        'request',
      );
    });
    next();
  };
}
