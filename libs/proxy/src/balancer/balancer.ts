import { crc32 } from 'node:zlib';
import type { TargetData, UpstreamData } from '../state/types';

/** Whether a target's address gets traffic: the health this worker knows (from the node and its own passive counts). */
export type IsHealthy = (address: string) => boolean;

/**
 * One upstream's load balancer in a worker: its targets of weight > 0 and Kong's algorithms.
 * `pick` skips unhealthy targets and those already tried for this request (failover); it
 * returns undefined when none is left (Kong: `failure to get a peer from the ring-balancer`).
 */
export class Balancer {
  readonly targets: readonly TargetData[];
  /** Requests in flight per target address (least-connections). */
  readonly #active = new Map<string, number>();
  /** Smooth weighted round-robin state (nginx's). */
  readonly #current = new Map<string, number>();
  readonly #total: number;
  /** Consistent hashing: `slots` points on a ring, shared out by weight. */
  #ring: { points: Uint32Array; owners: TargetData[] } | undefined;

  constructor(
    readonly upstream: UpstreamData,
    targets: Iterable<TargetData>,
  ) {
    // Sorted: every worker and every node builds the same ring from the same targets.
    this.targets = [...targets].filter((t) => t.weight > 0).sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
    this.#total = this.targets.reduce((sum, t) => sum + t.weight, 0);
  }

  pick(isHealthy: IsHealthy, tried: ReadonlySet<string>, hashKey: string | undefined): TargetData | undefined {
    const usable = (t: TargetData) => !tried.has(t.target) && isHealthy(t.target);
    switch (this.upstream.algorithm) {
      case 'consistent-hashing':
        return hashKey === undefined ? this.#roundRobin(usable) : this.#hashed(hashKey, usable);
      case 'least-connections':
      case 'latency':
        return this.#leastConnections(usable);
      default:
        return this.#roundRobin(usable);
    }
  }

  /** A request to `target` started / ended (least-connections counts). */
  started(target: TargetData): void {
    this.#active.set(target.target, (this.#active.get(target.target) ?? 0) + 1);
  }

  ended(target: TargetData): void {
    const n = (this.#active.get(target.target) ?? 1) - 1;
    if (n <= 0) this.#active.delete(target.target);
    else this.#active.set(target.target, n);
  }

  #roundRobin(usable: (t: TargetData) => boolean): TargetData | undefined {
    let best: TargetData | undefined;
    let bestWeight = -Infinity;
    let total = 0;
    for (const t of this.targets) {
      if (!usable(t)) continue;
      const current = (this.#current.get(t.target) ?? 0) + t.weight;
      this.#current.set(t.target, current);
      total += t.weight;
      if (current > bestWeight) {
        best = t;
        bestWeight = current;
      }
    }
    if (best) this.#current.set(best.target, bestWeight - total);
    return best;
  }

  #leastConnections(usable: (t: TargetData) => boolean): TargetData | undefined {
    let best: TargetData | undefined;
    let bestScore = Infinity;
    for (const t of this.targets) {
      if (!usable(t)) continue;
      const score = ((this.#active.get(t.target) ?? 0) + 1) / t.weight;
      if (score < bestScore) {
        best = t;
        bestScore = score;
      }
    }
    return best;
  }

  #hashed(key: string, usable: (t: TargetData) => boolean): TargetData | undefined {
    const ring = (this.#ring ??= this.#buildRing());
    const { points, owners } = ring;
    if (points.length === 0) return undefined;
    const hash = crc32(key);
    // First point at or after the hash, then onwards around the ring to the first usable target.
    let lo = 0;
    let hi = points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((points[mid] as number) < hash) lo = mid + 1;
      else hi = mid;
    }
    for (let i = 0; i < points.length; i++) {
      const owner = owners[(lo + i) % points.length] as TargetData;
      if (usable(owner)) return owner;
    }
    return undefined;
  }

  /** `slots` points, each target's share proportional to its weight (at least one). */
  #buildRing(): { points: Uint32Array; owners: TargetData[] } {
    const entries: Array<[number, TargetData]> = [];
    for (const t of this.targets) {
      const share = Math.max(1, Math.round((this.upstream.slots * t.weight) / this.#total));
      for (let i = 0; i < share; i++) entries.push([crc32(`${t.target} ${i}`), t]);
    }
    entries.sort((a, b) => a[0] - b[0]);
    return { points: Uint32Array.from(entries.map((e) => e[0])), owners: entries.map((e) => e[1]) };
  }
}
