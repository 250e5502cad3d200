import { request } from 'node:http';
import type { HttpResult } from './http-client';

export interface RawRequest {
  readonly method?: string;
  /** Sent byte for byte: malformed percent-encoding stays malformed (fetch would normalise it). */
  readonly path: string;
  /** Any header, `Origin` and `Sec-Fetch-*` included, as a browser or an attacker sends them. */
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
}

/** One HTTP/1.1 request with exactly the path, headers and body given. */
export function rawRequest<T = Record<string, unknown>>(base: string, options: RawRequest): Promise<HttpResult<T>> {
  const url = new URL(base);
  const body = typeof options.body === 'string' ? Buffer.from(options.body) : options.body;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: { ...(body ? { 'content-length': String(body.length) } : {}), ...options.headers },
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: T;
          try {
            json = (text ? JSON.parse(text) : undefined) as T;
          } catch {
            json = undefined as T;
          }
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') headers.set(name, value);
          resolve({ status: res.statusCode ?? 0, headers, text, json });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(body);
  });
}
