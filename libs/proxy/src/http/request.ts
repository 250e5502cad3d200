import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

/**
 * What the proxy reads of a request that may be HTTP/1.1 or HTTP/2 (node:http2's compatibility
 * request has `:authority` instead of `Host`, and no `headersDistinct`).
 */
export function requestHost(req: IncomingMessage): string | undefined {
  const host = req.headers.host ?? (req.headers as Record<string, string | undefined>)[':authority'];
  return host === '' ? undefined : host;
}

export function headerValues(req: IncomingMessage, name: string): string[] | undefined {
  const distinct = req.headersDistinct as Record<string, string[]> | undefined;
  if (distinct) return distinct[name];
  const value = req.headers[name];
  return value === undefined ? undefined : Array.isArray(value) ? value : [value];
}

/** The connection is TLS (the client's scheme is `https`). */
export function isTls(req: IncomingMessage): boolean {
  return (req.socket as TLSSocket | undefined)?.encrypted === true;
}

/** The TLS server name the client sent, as routing facts take it (`{}` without one). */
export function sniOf(req: IncomingMessage): { sni?: string } {
  const name = (req.socket as TLSSocket | undefined)?.servername;
  return typeof name === 'string' && name !== '' ? { sni: name } : {};
}
