import { healthchecksOn } from '@keygate/entities';
import type { ProxyState } from '../state/state';
import type { TargetData, UpstreamData } from '../state/types';
import { Balancer } from './balancer';
import { HealthCounter, passiveThresholds, type Outcome } from './health';
import type { HealthMap } from './monitor';

/** A worker tells its node that passive checks changed a target's health. */
export type PassiveReport = (upstreamId: string, address: string, healthy: boolean) => void;

/**
 * A worker's balancers, by upstream name (a service whose `host` names an upstream goes
 * through it), with the health the node sent and this worker's passive counters. Passive
 * transitions apply here at once and go to the node, which tells every worker.
 */
export class Balancers {
  #byName = new Map<string, Balancer>();
  #health: HealthMap = {};
  readonly #passive = new Map<string, HealthCounter>();

  constructor(private readonly report: PassiveReport) {}

  rebuild(state: ProxyState): void {
    const byUpstream = new Map<string, TargetData[]>();
    for (const t of state.tables.targets.values()) byUpstream.set(t.upstream_id, [...(byUpstream.get(t.upstream_id) ?? []), t]);
    const next = new Map<string, Balancer>();
    for (const upstream of state.tables.upstreams.values()) {
      const old = this.#byName.get(upstream.name);
      const targets = byUpstream.get(upstream.id) ?? [];
      // Unchanged upstream and targets: keep the balancer (its round-robin and connection counts).
      next.set(upstream.name, old && old.upstream === upstream && sameTargets(old.targets, targets) ? old : new Balancer(upstream, targets));
    }
    this.#byName = next;
  }

  get(name: string): Balancer | undefined {
    return this.#byName.get(name);
  }

  setHealth(health: HealthMap): void {
    this.#health = health;
    for (const [key, counter] of this.#passive) {
      const bar = key.indexOf('|');
      counter.set(this.#health[key.slice(0, bar)]?.[key.slice(bar + 1)] !== false);
    }
  }

  isHealthy(upstream: UpstreamData): (address: string) => boolean {
    const unhealthy = this.#health[upstream.id];
    return unhealthy ? (address) => unhealthy[address] !== false : () => true;
  }

  /** Counts a proxied request's outcome when the upstream's passive checks are on. */
  observe(upstream: UpstreamData, address: string, outcome: Outcome): void {
    if (!healthchecksOn(upstream.healthchecks).passive) return;
    const key = `${upstream.id}|${address}`;
    let counter = this.#passive.get(key);
    if (!counter) {
      counter = new HealthCounter();
      counter.set(this.#health[upstream.id]?.[address] !== false);
      this.#passive.set(key, counter);
    }
    const changed = counter.record(outcome, passiveThresholds(upstream.healthchecks));
    if (changed === undefined) return;
    const map = { ...(this.#health[upstream.id] ?? {}) };
    if (changed) delete map[address];
    else map[address] = false;
    this.#health = { ...this.#health, [upstream.id]: map };
    this.report(upstream.id, address, changed);
  }
}

function sameTargets(a: readonly TargetData[], b: readonly TargetData[]): boolean {
  const live = b.filter((t) => t.weight > 0);
  return a.length === live.length && live.every((t) => a.includes(t));
}
