import busboy from 'busboy';
import type { NextFunction, Request, Response } from 'express';
import qs from 'qs';
import { BodyTooLargeError, readBody } from '@keygate/net';
import { HttpError } from './errors';

export type BodyKind = 'none' | 'json' | 'form';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** How the body was sent: form bodies carry strings, whose types the schema infers. */
      bodyKind: BodyKind;
      requestId: string;
    }
  }
}

export interface BodyOptions {
  /** Largest body accepted, in bytes. */
  readonly limit?: number;
}

/**
 * Reads the request body the way Kong's Admin API does: JSON, form-urlencoded (with nested
 * keys: `config.key_names[]=x`, `service.id=...`) or multipart form fields. An invalid JSON body
 * is 400 `Cannot parse JSON body`; a body of another type is 415.
 */
export function parseBody(options: BodyOptions = {}) {
  const limit = options.limit ?? 1024 * 1024;
  return async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    req.body = {};
    req.bodyKind = 'none';
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'DELETE' || req.method === 'OPTIONS') return next();
    try {
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type === 'multipart/form-data') {
        req.body = await readMultipart(req, limit);
        req.bodyKind = 'form';
        return next();
      }
      const raw = await readRaw(req, limit);
      if (type === 'application/json') {
        req.body = parseJson(raw);
        req.bodyKind = 'json';
      } else if (type === 'application/x-www-form-urlencoded') {
        req.body = qs.parse(formText(raw), { allowDots: true, depth: 10, arrayLimit: 1000, parameterLimit: 10_000 });
        req.bodyKind = 'form';
      } else if (raw.length > 0) {
        throw new HttpError(415, 'Unsupported Content-Type; use application/json, application/x-www-form-urlencoded or multipart/form-data');
      }
      next();
    } catch (err) {
      next(err);
    }
  };
}

function parseJson(raw: Buffer): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(utf8(raw));
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw HttpError.badRequest('Cannot parse JSON body');
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Invalid UTF-8 is refused: decoding it leniently would store U+FFFD in place of the bytes sent. */
function utf8(raw: Buffer): string {
  return strictUtf8.decode(raw);
}

function formText(raw: Buffer): string {
  try {
    return utf8(raw);
  } catch {
    throw HttpError.badRequest('Cannot parse form body: invalid UTF-8');
  }
}

/** The whole raw body; over `limit` a 413, the rest read and discarded so the client sees it. */
async function readRaw(req: Request, limit: number): Promise<Buffer> {
  try {
    return await readBody(req, { limit, overflow: 'drain' });
  } catch (err) {
    throw err instanceof BodyTooLargeError ? new HttpError(413, 'Request body too large') : err;
  }
}

/**
 * Multipart fields and file parts, both as text fields (Kong reads `-F key=@file` the same).
 * `limit` caps the whole body, not only each part: busboy's limits are per part and it drops
 * parts over its count limits silently, so bytes are counted here and any limit hit is a 413.
 */
function readMultipart(req: Request, limit: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const fields: Record<string, string> = {};
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { fieldSize: limit, fileSize: limit, fields: 1000, files: 20 } });
    } catch {
      return reject(HttpError.badRequest('Cannot parse multipart body'));
    }
    let failed = false;
    const fail = (err: HttpError) => {
      if (failed) return;
      failed = true;
      // Stop parsing and discard the rest, so the client reads the answer instead of a reset.
      req.unpipe(parser);
      req.resume();
      reject(err);
    };
    const tooLarge = () => fail(new HttpError(413, 'Request body too large'));
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge();
    });
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated || info.nameTruncated) return tooLarge();
      fields[name] = value;
    });
    parser.on('file', (name, stream) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', tooLarge);
      stream.on('end', () => {
        try {
          fields[name] = utf8(Buffer.concat(chunks));
        } catch {
          fail(HttpError.badRequest(`Cannot parse multipart body: part '${name}' is not UTF-8 text`));
        }
      });
    });
    parser.on('fieldsLimit', tooLarge);
    parser.on('filesLimit', tooLarge);
    parser.on('partsLimit', tooLarge);
    parser.on('error', () => fail(HttpError.badRequest('Cannot parse multipart body')));
    parser.on('close', () => {
      if (!failed) resolve(qs.parse(qs.stringify(fields), { allowDots: true, depth: 10 }));
    });
    req.pipe(parser);
  });
}
