import type { Config } from '@keygate/config';
import type { ErrorType } from './errors';

/** The proxy's settings from the configuration, as plain data a worker receives at start. */
export interface ProxySettings {
  readonly version: string;
  readonly headers: {
    readonly server: boolean;
    readonly via: boolean;
    readonly proxyLatency: boolean;
    readonly upstreamLatency: boolean;
    readonly responseLatency: boolean;
    readonly requestId: boolean;
  };
  /** `X-Kong-Request-Id` on the upstream request. */
  readonly upstreamRequestId: boolean;
  readonly errorDefaultType: ErrorType;
  readonly trustedIps: readonly string[];
  readonly keepalive: { readonly poolSize: number; readonly maxRequests: number; readonly idleTimeoutMs: number };
}

/** `headers`, `headers_upstream`, `error_default_type`, `trusted_ips`, `upstream_keepalive_*`. */
export function proxySettings(config: Config, version: string): ProxySettings {
  const headers = new Set(config.headers);
  const has = (...names: string[]) => names.some((n) => headers.has(n));
  return {
    version,
    headers: {
      server: has('server_tokens', 'server'),
      via: has('server_tokens', 'via'),
      proxyLatency: has('latency_tokens', 'x-kong-proxy-latency'),
      upstreamLatency: has('latency_tokens', 'x-kong-upstream-latency'),
      responseLatency: has('latency_tokens', 'x-kong-response-latency'),
      requestId: has('x-kong-request-id'),
    },
    upstreamRequestId: config.headers_upstream.includes('x-kong-request-id'),
    errorDefaultType: config.error_default_type,
    trustedIps: config.trusted_ips ?? [],
    keepalive: {
      poolSize: config.upstream_keepalive_pool_size,
      maxRequests: config.upstream_keepalive_max_requests,
      idleTimeoutMs: config.upstream_keepalive_idle_timeout * 1000,
    },
  };
}
