import { BlockList, isIPv4 } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import type { RequestContext } from './context';
import type { ProxySettings } from './settings';
import { isTls, requestHost } from './request';

/** Hop-by-hop headers (RFC 9110 7.6.1) and what undici sets itself: never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect', 'host']);
/** Set by the proxy (replaced, or extended as X-Forwarded-For and Via). */
const FORWARDED = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-forwarded-path', 'x-forwarded-prefix', 'x-real-ip', 'via', 'x-kong-request-id']);

export function clientAddress(raw: string | undefined): string {
  if (!raw) return '';
  return raw.startsWith('::ffff:') && isIPv4(raw.slice(7)) ? raw.slice(7) : raw;
}

/** Kong's `trusted_ips`: only from these clients are `X-Forwarded-*` headers kept. */
export class TrustedIps {
  readonly #list = new BlockList();
  readonly #any: boolean;

  constructor(entries: readonly string[]) {
    let count = 0;
    for (const entry of entries) {
      if (entry === 'unix:') continue;
      const [address = '', bits] = entry.split('/');
      const type = isIPv4(address) ? 'ipv4' : 'ipv6';
      if (bits === undefined) this.#list.addAddress(address, type);
      else this.#list.addSubnet(address, Number(bits), type);
      count++;
    }
    this.#any = count > 0;
  }

  has(address: string): boolean {
    if (!this.#any || address === '') return false;
    return this.#list.check(address, isIPv4(address) ? 'ipv4' : 'ipv6');
  }
}

const NON_ASCII = /[^ -~\t]/;

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/**
 * The headers of the upstream request, as a flat `[name, value, ...]` list: the client's, minus
 * hop-by-hop ones and what plugins cleared or set, plus `Host` (the service's unless
 * `preserve_host`), `X-Forwarded-*` and `X-Real-IP` as Kong sets them, `Via`, and the request id.
 */
export function upstreamHeaders(ctx: RequestContext, settings: ProxySettings, trusted: TrustedIps, host: string, forwardedPrefix: string | undefined): string[] {
  const { req } = ctx;
  const raw = req.rawHeaders;
  const out: string[] = [];
  const connection = req.headers.connection;
  const listed = connection && connection !== 'keep-alive' && connection !== 'close' ? new Set(connection.toLowerCase().split(',').map((t) => t.trim())) : undefined;
  const replaceBody = ctx.body !== undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    // HTTP/2 pseudo-headers (`:authority`, `:path`, ...) are not headers of the upstream request.
    if (name.charCodeAt(0) === 58 || HOP_BY_HOP.has(name) || FORWARDED.has(name) || listed?.has(name)) continue;
    if (ctx.clearHeaders.has(name) || ctx.setHeaders.has(name)) continue;
    if (replaceBody && name === 'content-length') continue;
    out.push(raw[i] as string, raw[i + 1] as string);
  }
  const client = clientAddress(req.socket.remoteAddress);
  const fromTrusted = trusted.has(client);
  const headers: IncomingHttpHeaders = req.headers;
  const keep = (name: string) => (fromTrusted ? first(headers[name]) : undefined);
  const xff = headers['x-forwarded-for'];
  out.push('host', host);
  out.push('x-forwarded-for', xff ? `${Array.isArray(xff) ? xff.join(', ') : xff}, ${client}` : client);
  out.push('x-forwarded-proto', keep('x-forwarded-proto') ?? (isTls(req) ? 'https' : 'http'));
  out.push('x-forwarded-host', keep('x-forwarded-host') ?? hostName(requestHost(req)));
  out.push('x-forwarded-port', keep('x-forwarded-port') ?? String(req.socket.localPort ?? ''));
  out.push('x-forwarded-path', keep('x-forwarded-path') ?? ctx.rawPath);
  const prefix = keep('x-forwarded-prefix') ?? forwardedPrefix;
  if (prefix) out.push('x-forwarded-prefix', prefix);
  out.push('x-real-ip', client);
  if (settings.headers.via) {
    const via = headers.via;
    out.push('via', via ? `${via}, 1.1 keygate/${settings.version}` : `1.1 keygate/${settings.version}`);
  }
  if (settings.upstreamRequestId) out.push('x-kong-request-id', ctx.requestId);
  // Values from entities (a consumer's username) go out as their UTF-8 bytes, as nginx sends them.
  for (const [name, value] of ctx.setHeaders) out.push(name, NON_ASCII.test(value) ? Buffer.from(value, 'utf8').toString('latin1') : value);
  if (replaceBody) out.push('content-length', String(ctx.body!.length));
  return out;
}

function hostName(host: string | undefined): string {
  if (!host) return '';
  const close = host.lastIndexOf(']');
  const colon = host.lastIndexOf(':');
  return colon > close ? host.slice(0, colon) : host;
}

const RESPONSE_HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'trailer']);

/** The upstream's response headers for the client, as a flat list, without hop-by-hop ones. */
export function downstreamHeaders(headers: IncomingHttpHeaders, replaceVia = false): string[] {
  const out: string[] = [];
  const connection = headers.connection;
  const listed = connection && connection !== 'keep-alive' && connection !== 'close' ? new Set(connection.toLowerCase().split(',').map((t) => t.trim())) : undefined;
  for (const name in headers) {
    if (RESPONSE_HOP_BY_HOP.has(name) || listed?.has(name) || (replaceVia && name === 'via')) continue;
    const value = headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) out.push(name, v);
    else out.push(name, value);
  }
  return out;
}
