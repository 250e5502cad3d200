import type { Pool } from 'undici';
import type { ServiceData, TargetData } from '../state/types';
import type { Balancer } from './balancer';
import type { Balancers } from './balancers';
import type { Outcome } from './health';

/** Where one attempt of a request goes: the pool, and for an upstream the target and its `Host`. */
export interface Hop {
  readonly pool: Pool;
  readonly target?: TargetData;
  readonly host?: string;
}

/**
 * The upstream side of one request: a plain service (the same pool every attempt), or an
 * upstream whose balancer picks a target per attempt, never one already tried while another is
 * left (failover). Outcomes feed the passive health checks.
 */
export interface Destination {
  /** The next attempt's hop; undefined when no target is left. */
  next(): Hop | undefined;
  /** The attempt to `hop` got a response (its status) or failed. */
  result(hop: Hop, outcome: Outcome): void;
  /** The attempt to `hop` is over (least-connections counts). */
  release(hop: Hop): void;
  /** Attempts that went to another target after one failed. */
  readonly failovers: number;
  /** The upstream's name, for metrics; undefined for a plain service. */
  readonly upstream: string | undefined;
}

export class ServiceDestination implements Destination {
  readonly failovers = 0;
  readonly upstream = undefined;
  readonly #hop: Hop;
  constructor(pool: Pool) {
    this.#hop = { pool };
  }
  next(): Hop {
    return this.#hop;
  }
  result(): void {
    // A plain service has no health checks.
  }
  release(): void {
    // Nor connection counts.
  }
}

const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443 };

export class UpstreamDestination implements Destination {
  readonly #tried = new Set<string>();
  failovers = 0;

  constructor(
    private readonly balancer: Balancer,
    private readonly balancers: Balancers,
    private readonly service: ServiceData,
    private readonly pool: (target: TargetData) => Pool,
    private readonly hashKey: string | undefined,
    /** The client's `Host` when the route preserves it. */
    private readonly preservedHost: string | undefined,
  ) {}

  get upstream(): string {
    return this.balancer.upstream.name;
  }

  next(): Hop | undefined {
    const target = this.balancer.pick(this.balancers.isHealthy(this.balancer.upstream), this.#tried, this.hashKey);
    if (!target) return undefined;
    if (this.#tried.size > 0) this.failovers++;
    this.#tried.add(target.target);
    this.balancer.started(target);
    const host = target.host.includes(':') ? `[${target.host}]` : target.host;
    const hostHeader = this.preservedHost ?? this.balancer.upstream.host_header ?? (DEFAULT_PORTS[this.service.protocol] === target.port ? host : `${host}:${target.port}`);
    return { pool: this.pool(target), target, host: hostHeader };
  }

  result(hop: Hop, outcome: Outcome): void {
    if (hop.target) this.balancers.observe(this.balancer.upstream, hop.target.target, outcome);
  }

  release(hop: Hop): void {
    if (hop.target) this.balancer.ended(hop.target);
  }
}
