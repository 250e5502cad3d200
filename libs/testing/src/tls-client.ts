import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';

export interface TlsResult {
  readonly status: number;
  readonly text: string;
  readonly json: Record<string, unknown> | undefined;
  /** The served certificate's SHA-256 fingerprint (`AB:CD:...`). */
  readonly fingerprint256: string;
  /** Negotiated TLS version, e.g. `TLSv1.3`. */
  readonly protocol: string | null;
  /** Negotiated ALPN protocol, or false. */
  readonly alpn: string | false | null;
}

export interface TlsRequestOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Trust only this certificate (PEM); unset: accept any certificate (the test checks its fingerprint). */
  readonly ca?: string;
  /** e.g. `TLSv1.2` to pin the client's highest version. */
  readonly maxVersion?: 'TLSv1.2' | 'TLSv1.3';
  /** The server name sent (SNI); unset: the URL's host name when it is not an IP address. */
  readonly servername?: string;
  /** ALPN protocols the client offers. */
  readonly alpn?: readonly string[];
}

/** One HTTPS request over a fresh connection, reporting what the server presented. */
export function tlsRequest(url: string, options: TlsRequestOptions = {}): Promise<TlsResult> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        headers: { ...(options.body ? { 'content-type': 'application/json' } : {}), ...options.headers },
        agent: false,
        ...(options.ca ? { ca: options.ca, servername: 'localhost' } : { rejectUnauthorized: false }),
        ...(options.maxVersion ? { maxVersion: options.maxVersion } : {}),
        ...(options.alpn ? { ALPNProtocols: [...options.alpn] } : {}),
        ...(options.servername ? { servername: options.servername } : {}),
        timeout: 10_000,
      },
      (res) => {
        const socket = res.socket as TLSSocket;
        const fingerprint256 = socket.getPeerCertificate().fingerprint256;
        const protocol = socket.getProtocol();
        const alpn = socket.alpnProtocol;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          let json: Record<string, unknown> | undefined;
          try {
            json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, text, json, fingerprint256, protocol, alpn });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${url}: timed out`)));
    req.on('error', reject);
    req.end(options.body);
  });
}
