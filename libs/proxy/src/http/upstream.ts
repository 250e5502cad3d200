import { Pool, type Dispatcher } from 'undici';
import type { ServiceData, TargetData } from '../state/types';
import { MESSAGES } from './errors';
import type { ProxySettings } from './settings';

/**
 * Keep-alive connection pools to upstreams (undici), one per service origin and connection
 * options, per worker. Pools of services that are gone are closed when the state changes.
 */
export class UpstreamPools {
  readonly #pools = new Map<string, Pool>();
  /** Per service entity (replaced on every change of it): saves building the key per request. */
  #byService = new WeakMap<ServiceData, Pool>();

  constructor(
    private readonly keepalive: ProxySettings['keepalive'],
    /** PEMs of `ca_certificates` by id (the state's): what a service trusts with `tls_verify`. */
    private readonly caOf: (id: string) => string | undefined = () => undefined,
  ) {}

  static key(service: ServiceData, host = service.host, port = service.port): string {
    const cas = service.tls_verify === true && service.ca_certificates.length > 0 ? `|ca:${service.ca_certificates.join(',')}` : '';
    return `${service.protocol}://${host}:${port}|${service.connect_timeout}|${service.tls_verify === true}${cas}`;
  }

  get(service: ServiceData): Pool {
    const cached = this.#byService.get(service);
    if (cached) return cached;
    const pool = this.#pool(service, service.host, service.port);
    this.#byService.set(service, pool);
    return pool;
  }

  /** The pool of one target of the upstream a service names. */
  forTarget(service: ServiceData, target: TargetData): Pool {
    return this.#pool(service, target.host, target.port);
  }

  #pool(service: ServiceData, hostName: string, port: number): Pool {
    const key = UpstreamPools.key(service, hostName, port);
    let pool = this.#pools.get(key);
    if (!pool) {
      const { poolSize, maxRequests, idleTimeoutMs } = this.keepalive;
      const host = hostName.includes(':') ? `[${hostName}]` : hostName;
      pool = new Pool(`${service.protocol === 'https' ? 'https' : 'http'}://${host}:${port}`, {
        connections: poolSize > 0 ? poolSize : null,
        pipelining: 1,
        keepAliveTimeout: Math.max(idleTimeoutMs, 1),
        keepAliveMaxTimeout: Math.max(idleTimeoutMs, 1),
        ...(maxRequests > 0 ? { maxRequestsPerClient: maxRequests } : {}),
        connect: {
          timeout: service.connect_timeout,
          // Kong's default: upstream certificates are not verified unless the service says so.
          rejectUnauthorized: service.tls_verify === true,
          servername: service.host,
          // Kong: a service's ca_certificates replace the system's trusted CAs for its upstream.
          ...(service.tls_verify === true && service.ca_certificates.length > 0 ? { ca: service.ca_certificates.flatMap((id) => this.caOf(id) ?? []) } : {}),
        },
      });
      this.#pools.set(key, pool);
    }
    return pool;
  }

  /** Closes the pools no service (or target of the upstream a service names) uses any more. */
  prune(services: Iterable<ServiceData>, targetsOf: (service: ServiceData) => readonly TargetData[] = () => []): void {
    const used = new Set<string>();
    for (const service of services) {
      used.add(UpstreamPools.key(service));
      for (const target of targetsOf(service)) used.add(UpstreamPools.key(service, target.host, target.port));
    }
    this.#byService = new WeakMap();
    for (const [key, pool] of this.#pools) {
      if (used.has(key)) continue;
      this.#pools.delete(key);
      void pool.close().catch(() => undefined);
    }
  }

  /** CA certificates changed: pools that trust some close (the next request opens them anew). */
  dropVerified(): void {
    this.#byService = new WeakMap();
    for (const [key, pool] of this.#pools) {
      if (!key.includes('|ca:')) continue;
      this.#pools.delete(key);
      void pool.close().catch(() => undefined);
    }
  }

  get size(): number {
    return this.#pools.size;
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.destroy().catch(() => undefined)));
  }
}

export interface UpstreamFailure {
  readonly status: 500 | 502 | 503 | 504;
  readonly message: string;
  /** The request may have reached the upstream: only idempotent methods are retried then. */
  readonly sent: boolean;
  readonly code: string;
}

const REFUSED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'EHOSTDOWN', 'ENETDOWN']);
const DNS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME']);

/**
 * An undici error as Kong answers it: 503 when the upstream cannot be reached, 504 on a
 * timeout, 502 for anything it sent that was not a valid response (or a TLS failure).
 */
export function classifyUpstreamError(err: unknown): UpstreamFailure {
  const code = String((err as { code?: unknown }).code ?? (err as Error).name ?? 'UNKNOWN');
  // undici refused the request itself (e.g. a header value it cannot send): not retried, not the upstream's fault.
  if (code === 'UND_ERR_INVALID_ARG') return { status: 500, message: MESSAGES.unexpected, sent: true, code };
  if (REFUSED.has(code)) return { status: 503, message: MESSAGES.unavailable, sent: false, code };
  if (DNS.has(code)) return { status: 503, message: MESSAGES.nameResolution, sent: false, code };
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return { status: 504, message: MESSAGES.timeout, sent: false, code };
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return { status: 504, message: MESSAGES.timeout, sent: true, code };
  const tls = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code);
  return { status: 502, message: MESSAGES.badGateway, sent: !tls, code };
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']);

export function mayRetry(method: string, failure: UpstreamFailure): boolean {
  if (failure.status === 500) return false;
  return !failure.sent || IDEMPOTENT.has(method);
}

export type DispatchOptions = Dispatcher.DispatchOptions;
