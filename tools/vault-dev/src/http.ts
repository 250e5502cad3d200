import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLargeError, readBody } from '@keygate/net';
import { badRequest } from './envelope';

export interface VaultRequest {
  readonly method: string;
  /** Path after `/v1/`, without the query string. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: Record<string, unknown>;
  header(name: string): string | undefined;
}

// Secrets in tests are small; a bound keeps a runaway client from filling memory.
const MAX_BODY_BYTES = 1024 * 1024;

export async function readRequest(req: IncomingMessage): Promise<{ raw: Buffer; url: URL }> {
  let raw: Buffer;
  try {
    raw = await readBody(req, { limit: MAX_BODY_BYTES, overflow: 'destroy' });
  } catch (err) {
    throw err instanceof BodyTooLargeError ? badRequest('request body too large') : err;
  }
  return { raw, url: new URL(req.url ?? '/', 'http://vault.invalid') };
}

/** Request bodies are JSON objects; an empty body is an empty object, as Vault treats it. */
export function parseJsonBody(raw: Buffer): Record<string, unknown> {
  if (raw.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw badRequest('failed to parse JSON input: invalid character');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw badRequest('failed to parse JSON input: expected an object');
  return parsed as Record<string, unknown>;
}

export function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('Cache-Control', 'no-store');
  if (body === undefined) {
    res.end();
    return;
  }
  res.setHeader('Content-Type', 'application/json');
  res.end(`${JSON.stringify(body)}\n`);
}
