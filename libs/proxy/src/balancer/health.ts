import type { Healthchecks } from '@keygate/entities';

/** What one request or probe to a target came to. */
export type Outcome = { readonly kind: 'status'; readonly status: number } | { readonly kind: 'connected' } | { readonly kind: 'tcp_failure' } | { readonly kind: 'timeout' };

export interface Thresholds {
  readonly successes: number;
  readonly http_failures: number;
  readonly tcp_failures: number;
  readonly timeouts: number;
  readonly healthyStatuses: ReadonlySet<number>;
  readonly unhealthyStatuses: ReadonlySet<number>;
}

export function activeThresholds(h: Healthchecks): Thresholds {
  const { healthy, unhealthy } = h.active;
  return { successes: healthy.successes, http_failures: unhealthy.http_failures, tcp_failures: unhealthy.tcp_failures, timeouts: unhealthy.timeouts, healthyStatuses: new Set(healthy.http_statuses), unhealthyStatuses: new Set(unhealthy.http_statuses) };
}

export function passiveThresholds(h: Healthchecks): Thresholds {
  const { healthy, unhealthy } = h.passive;
  return { successes: healthy.successes, http_failures: unhealthy.http_failures, tcp_failures: unhealthy.tcp_failures, timeouts: unhealthy.timeouts, healthyStatuses: new Set(healthy.http_statuses), unhealthyStatuses: new Set(unhealthy.http_statuses) };
}

/**
 * Kong's health counters of one target (lua-resty-healthcheck): consecutive successes make an
 * unhealthy target healthy once they reach `successes`; consecutive HTTP failures, TCP failures
 * or timeouts make a healthy one unhealthy once one kind reaches its limit. A threshold of 0
 * turns that rule off. A success resets the failure counts and a failure the success count.
 */
export class HealthCounter {
  healthy = true;
  #successes = 0;
  #httpFailures = 0;
  #tcpFailures = 0;
  #timeouts = 0;

  /** Returns the new health when this outcome changed it. */
  record(outcome: Outcome, t: Thresholds): boolean | undefined {
    if (outcome.kind === 'status') {
      if (t.healthyStatuses.has(outcome.status)) return this.#success(t);
      if (t.unhealthyStatuses.has(outcome.status)) return this.#failure(++this.#httpFailures, t.http_failures);
      return undefined;
    }
    if (outcome.kind === 'connected') return this.#success(t);
    if (outcome.kind === 'tcp_failure') return this.#failure(++this.#tcpFailures, t.tcp_failures);
    return this.#failure(++this.#timeouts, t.timeouts);
  }

  /** Set from outside (the node, an operator): counting starts again. */
  set(healthy: boolean): void {
    this.healthy = healthy;
    this.#reset();
  }

  #success(t: Thresholds): boolean | undefined {
    this.#httpFailures = this.#tcpFailures = this.#timeouts = 0;
    this.#successes++;
    if (!this.healthy && t.successes > 0 && this.#successes >= t.successes) {
      this.set(true);
      return true;
    }
    return undefined;
  }

  #failure(count: number, limit: number): boolean | undefined {
    this.#successes = 0;
    if (this.healthy && limit > 0 && count >= limit) {
      this.set(false);
      return false;
    }
    return undefined;
  }

  #reset(): void {
    this.#successes = this.#httpFailures = this.#tcpFailures = this.#timeouts = 0;
  }
}
