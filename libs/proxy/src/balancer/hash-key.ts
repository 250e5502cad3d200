import type { RequestContext } from '../http/context';
import { clientAddress } from '../http/forward';
import type { UpstreamData } from '../state/types';

/** The value a consistent-hashing upstream hashes for this request (`hash_on`, then `hash_fallback`). */
export function hashKey(upstream: UpstreamData, ctx: RequestContext): string | undefined {
  if (upstream.algorithm !== 'consistent-hashing') return undefined;
  return (
    valueOf(upstream.hash_on, upstream.hash_on_header, upstream.hash_on_query_arg, upstream.hash_on_uri_capture, upstream, ctx) ??
    valueOf(upstream.hash_fallback, upstream.hash_fallback_header, upstream.hash_fallback_query_arg, upstream.hash_fallback_uri_capture, upstream, ctx)
  );
}

function valueOf(mode: string, header: string | null, queryArg: string | null, capture: string | null, upstream: UpstreamData, ctx: RequestContext): string | undefined {
  const nonEmpty = (v: string | undefined) => (v === undefined || v === '' ? undefined : v);
  switch (mode) {
    case 'consumer':
      return nonEmpty(ctx.authenticated?.consumer?.id ?? ctx.authenticated?.credential?.id);
    case 'ip':
      return nonEmpty(clientAddress(ctx.req.socket.remoteAddress));
    case 'header':
      return header ? nonEmpty(ctx.headerValues(header.toLowerCase()).join(',')) : undefined;
    case 'cookie':
      return upstream.hash_on_cookie ? nonEmpty(cookie(ctx.header('cookie'), upstream.hash_on_cookie)) : undefined;
    case 'path':
      return nonEmpty(ctx.path);
    case 'query_arg': {
      if (!queryArg) return undefined;
      const value = ctx.queryValue(queryArg);
      return typeof value === 'string' ? nonEmpty(value) : Array.isArray(value) ? nonEmpty(value.join(',')) : undefined;
    }
    case 'uri_capture':
      return capture ? nonEmpty(ctx.match.captures?.[capture]) : undefined;
    default:
      return undefined;
  }
}

function cookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
