import { availableParallelism } from 'node:os';
import { BlockList, isIP } from 'node:net';
import { z } from 'zod';
import { key } from '../spec';
import { integer, oneOf, type ValueType } from '../types';

/** `auto` (one per CPU) or a number of processes. */
function workers(): ValueType<number> {
  return {
    schema: z
      .string()
      .trim()
      .regex(/^(auto|\d+)$/)
      .transform((v) => (v === 'auto' ? availableParallelism() : Number(v)))
      .pipe(z.number().int().min(1).max(1024)),
    expected: "'auto' (one per CPU) or an integer between 1 and 1024",
  };
}

const HEADER_TOKENS = ['off', 'server_tokens', 'latency_tokens', 'server', 'via', 'x-kong-proxy-latency', 'x-kong-upstream-latency', 'x-kong-response-latency', 'x-kong-request-id'];

const items = (v: string) => v.split(',').map((i) => i.trim()).filter((i) => i !== '');

function tokens(allowed: readonly string[]): ValueType<readonly string[]> {
  return {
    schema: z
      .string()
      .transform((v) => Object.freeze(items(v).map((i) => i.toLowerCase())))
      .refine((list) => list.every((i) => allowed.includes(i)) && (!list.includes('off') || list.length === 1)),
    expected: `'off' or a comma-separated list of: ${allowed.filter((t) => t !== 'off').join(', ')}`,
  };
}

function validAddress(entry: string): boolean {
  if (entry === 'unix:') return true;
  const [address = '', bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  if (!/^\d+$/.test(bits) || Number(bits) > (family === 4 ? 32 : 128)) return false;
  try {
    new BlockList().addSubnet(address, Number(bits), family === 4 ? 'ipv4' : 'ipv6');
    return true;
  } catch {
    return false;
  }
}

/** Kong's `trusted_ips`: addresses and CIDR blocks, `0.0.0.0/0,::/0` for everyone, `unix:`. */
function trustedIps(): ValueType<readonly string[]> {
  return {
    schema: z
      .string()
      .transform((v) => Object.freeze(items(v)))
      .refine((list) => list.every(validAddress)),
    expected: 'a comma-separated list of IP addresses or CIDR blocks (0.0.0.0/0,::/0 trusts everyone)',
  };
}

/** The proxy (data plane): processes, headers, upstream connections. */
export const PROXY_KEYS = {
  proxy_workers: key({
    type: workers(),
    default: 'auto',
    origin: 'keygate',
    doc: "Worker processes of each proxy node; they share the listen socket and each holds the routes and credentials in memory (Kong's `nginx_worker_processes`).",
  }),
  headers: key({
    type: tokens(HEADER_TOKENS),
    default: 'server_tokens, latency_tokens, X-Kong-Request-Id',
    origin: 'kong',
    doc: '`server_tokens` = `Server` on responses the proxy makes and `Via` on proxied ones; `latency_tokens` = `X-Kong-Proxy-Latency`, `X-Kong-Upstream-Latency`, `X-Kong-Response-Latency`; or single header names.',
  }),
  headers_upstream: key({
    type: tokens(['off', 'x-kong-request-id']),
    default: 'X-Kong-Request-Id',
    origin: 'kong',
    doc: 'Headers the proxy adds to requests it sends upstream.',
  }),
  error_default_type: key({
    type: oneOf('text/plain', 'text/html', 'application/json', 'application/xml'),
    default: 'text/plain',
    origin: 'kong',
    doc: 'Format of upstream errors (502, 503, 504) when the request has neither `Accept` nor `Content-Type`.',
  }),
  trusted_ips: key({
    type: trustedIps(),
    origin: 'kong',
    doc: 'Clients whose `X-Forwarded-*` headers are passed on as sent; from anyone else they are replaced.',
  }),
  upstream_keepalive_pool_size: key({
    type: integer(0, 1_000_000),
    default: '512',
    origin: 'kong',
    doc: "Keep-alive connections per upstream and worker (undici's pool size, so also the most open at once; nginx's counts idle ones only); 0 closes each connection after its request.",
  }),
  upstream_keepalive_max_requests: key({
    type: integer(0, 1_000_000_000),
    default: '10000',
    origin: 'kong',
    doc: 'Requests sent over one upstream connection before it is closed; 0 = no limit.',
  }),
  upstream_keepalive_idle_timeout: key({
    type: integer(0, 86_400),
    default: '60',
    origin: 'kong',
    doc: 'Seconds an idle upstream connection is kept.',
  }),
};
