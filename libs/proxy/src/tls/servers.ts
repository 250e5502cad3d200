import { createServer as createHttpServer, type RequestListener, type Server as HttpServer } from 'node:http';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { SecureContextOptions } from 'node:tls';
import type { ListenAddress } from '@keygate/config';
import type { SniIndex } from './sni';

const HTTP1_OPTIONS = { keepAliveTimeout: 60_000, headersTimeout: 65_000 };

/**
 * The proxy's server for one `proxy_listen` entry: plain HTTP/1.1; HTTPS for `ssl` entries,
 * certificates chosen per handshake from memory (`SniIndex`); HTTP/2 with HTTP/1.1 fallback
 * (ALPN) for `ssl http2` entries. Plain-text HTTP/2 (h2c) is not served, as in Kong.
 */
export function proxyServerFactory(handler: RequestListener, sni: SniIndex | undefined) {
  return (tls?: SecureContextOptions, address?: ListenAddress): HttpServer | HttpsServer | Http2SecureServer => {
    if (!tls) return createHttpServer(HTTP1_OPTIONS, handler);
    const options = { ...tls, ...(sni ? { SNICallback: sni.callback } : {}) };
    if (address?.http2) {
      // The compatibility API gives the handler request/response objects shaped like node:http's.
      const server = createSecureServer({ ...options, allowHTTP1: true, ALPNProtocols: ['h2', 'http/1.1'] }, handler as unknown as Parameters<typeof createSecureServer>[1]);
      server.setTimeout(HTTP1_OPTIONS.keepAliveTimeout);
      return server;
    }
    return createHttpsServer({ ...options, ...HTTP1_OPTIONS, ALPNProtocols: ['http/1.1'] }, handler);
  };
}
