import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLargeError, readBody } from '@keygate/net';
import type { HeaderList } from './sigv4/canonical';

/** A request with its body read and its path, query and headers exactly as they came on the wire. */
export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: HeaderList;
  readonly body: Buffer;
  header(name: string): string | undefined;
}

// Secrets Manager caps a secret at 64 KiB; anything far above that is not a real client.
const MAX_BODY_BYTES = 1024 * 1024;

export async function receive(req: IncomingMessage): Promise<ReceivedRequest> {
  let body: Buffer;
  try {
    body = await readBody(req, { limit: MAX_BODY_BYTES, overflow: 'destroy' });
  } catch (err) {
    throw err instanceof BodyTooLargeError ? new Error('request body too large') : err;
  }
  const url = req.url ?? '/';
  const queryStart = url.indexOf('?');
  const headers: Array<[string, string]> = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
  return {
    method: req.method ?? 'GET',
    path: queryStart === -1 ? url : url.slice(0, queryStart),
    query: queryStart === -1 ? '' : url.slice(queryStart + 1),
    headers,
    body,
    header(name: string) {
      const value = req.headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(', ') : value;
    },
  };
}

export interface Reply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

export function send(res: ServerResponse, reply: Reply, now: Date): void {
  // The SDKs correct their clock from the Date header, so it must be the emulator's clock.
  res.setHeader('Date', now.toUTCString());
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
  res.statusCode = reply.status;
  res.end(reply.body ?? '');
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return { status, headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(value) };
}

export function text(status: number, body: string, headers: Record<string, string> = {}): Reply {
  return { status, headers: { 'Content-Type': 'text/plain', ...headers }, body };
}
