import { Gauge, type Registry } from 'prom-client';
import type { Queryable } from '@keygate/db';
import { HEALTH_PUBLISH_INTERVAL_MS, healthchecksOn, readHealthOverrides, removeUpstreamHealth, writeUpstreamHealth, type UpstreamHealthSnapshot } from '@keygate/entities';
import type { Logger } from '@keygate/logging';
import type { ProxyState } from '../state/state';
import type { TargetData, UpstreamData } from '../state/types';
import { activeThresholds, HealthCounter, type Outcome } from './health';
import { probe } from './probe';

/** upstream id -> address -> healthy; an address not listed is healthy. */
export type HealthMap = Record<string, Record<string, boolean>>;

export interface HealthMonitorOptions {
  readonly state: ProxyState;
  readonly db: Queryable;
  readonly nodeId: string;
  readonly logger: Logger;
  /** Sends the whole map to the workers after each change. */
  readonly broadcast: (health: HealthMap) => void;
  readonly registry?: Registry;
  /** @defaultValue HEALTH_PUBLISH_INTERVAL_MS */
  readonly publishIntervalMs?: number;
}

interface Entry {
  readonly counter: HealthCounter;
  timer: NodeJS.Timeout | undefined;
  probing: boolean;
}

/**
 * The node's view of its upstreams' health: runs the active checks (one prober per node, not
 * per worker), takes the passive transitions workers report and the operators' settings
 * (`PUT .../healthy|unhealthy`), tells every worker, and publishes a snapshot per upstream to
 * `upstream_health` for the Admin API. Everything here is per node, as Kong's is.
 */
export class HealthMonitor {
  /** `upstream id|address` */
  readonly #entries = new Map<string, Entry>();
  readonly #overridesApplied = new Map<string, number>();
  #publishTimer: NodeJS.Timeout | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #stopped = false;
  transitions = 0;

  constructor(private readonly options: HealthMonitorOptions) {
    if (options.registry) {
      const rows = () => this.rows();
      new Gauge({
        name: 'kong_upstream_target_health',
        help: 'Health status of targets of upstream. States = healthchecks_off|healthy|unhealthy|dns_error, value is 1 when state is populated.',
        labelNames: ['upstream', 'target', 'address', 'state', 'subsystem'],
        registers: [options.registry],
        collect() {
          this.reset();
          for (const row of rows()) {
            for (const state of ['healthchecks_off', 'healthy', 'unhealthy', 'dns_error']) {
              this.set({ upstream: row.upstream, target: row.target, address: row.target, state, subsystem: 'http' }, row.state === state ? 1 : 0);
            }
          }
        },
      });
    }
  }

  start(): void {
    this.refresh();
    this.#publishTimer = setInterval(() => void this.#publish(), this.options.publishIntervalMs ?? HEALTH_PUBLISH_INTERVAL_MS);
    this.#publishTimer.unref();
    void this.loadOverrides();
  }

  /** After the state changed: checks start or stop with their upstreams and targets. */
  refresh(): void {
    if (this.#stopped) return;
    const live = new Set<string>();
    for (const [upstream, targets] of this.#byUpstream()) {
      const { active } = healthchecksOn(upstream.healthchecks);
      for (const target of targets) {
        const key = `${upstream.id}|${target.target}`;
        live.add(key);
        let entry = this.#entries.get(key);
        if (!entry) this.#entries.set(key, (entry = { counter: new HealthCounter(), timer: undefined, probing: false }));
        if (active && !entry.timer && !entry.probing) this.#schedule(upstream.id, target.target, entry);
        if (!active && entry.timer) {
          clearTimeout(entry.timer);
          entry.timer = undefined;
        }
      }
    }
    for (const [key, entry] of this.#entries) {
      if (live.has(key)) continue;
      clearTimeout(entry.timer);
      this.#entries.delete(key);
    }
    this.#changed(false);
  }

  /** A worker's passive checks changed a target's health. */
  report(upstreamId: string, address: string, healthy: boolean, source: string): void {
    const entry = this.#entries.get(`${upstreamId}|${address}`);
    if (!entry || entry.counter.healthy === healthy) return;
    entry.counter.set(healthy);
    this.#transition(upstreamId, address, healthy, source);
  }

  /** Operators' settings for these upstreams (all when omitted); each applied once. */
  async loadOverrides(upstreamIds?: readonly string[]): Promise<void> {
    try {
      for (const o of await readHealthOverrides(this.options.db, upstreamIds)) {
        const key = `${o.upstream_id}|${o.address}`;
        if ((this.#overridesApplied.get(key) ?? 0) >= o.set_at) continue;
        this.#overridesApplied.set(key, o.set_at);
        this.report(o.upstream_id, o.address, o.healthy, 'admin api');
      }
    } catch (err) {
      this.options.logger.warn({ err }, 'proxy: reading target health settings failed; the next change or resync reads them again');
    }
  }

  map(): HealthMap {
    const out: HealthMap = {};
    for (const [key, entry] of this.#entries) {
      if (entry.counter.healthy) continue;
      const bar = key.indexOf('|');
      (out[key.slice(0, bar)] ??= {})[key.slice(bar + 1)] = false;
    }
    return out;
  }

  /** Per target: its upstream's name, the address, and Kong's state word. */
  rows(): Array<{ upstream: string; upstream_id: string; target: string; weight: number; state: 'healthy' | 'unhealthy' | 'healthchecks_off' }> {
    const out: ReturnType<HealthMonitor['rows']> = [];
    for (const [upstream, targets] of this.#byUpstream()) {
      const checks = healthchecksOn(upstream.healthchecks);
      for (const target of targets) {
        const healthy = this.#entries.get(`${upstream.id}|${target.target}`)?.counter.healthy ?? true;
        out.push({ upstream: upstream.name, upstream_id: upstream.id, target: target.target, weight: target.weight, state: !checks.active && !checks.passive ? 'healthchecks_off' : healthy ? 'healthy' : 'unhealthy' });
      }
    }
    return out;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#publishTimer);
    clearTimeout(this.#debounce);
    for (const entry of this.#entries.values()) clearTimeout(entry.timer);
    await removeUpstreamHealth(this.options.db, this.options.nodeId).catch(() => undefined);
  }

  #byUpstream(): Map<UpstreamData, TargetData[]> {
    const { upstreams, targets } = this.options.state.tables;
    const out = new Map<UpstreamData, TargetData[]>();
    const byId = new Map<string, TargetData[]>();
    for (const target of targets.values()) if (target.weight > 0) byId.set(target.upstream_id, [...(byId.get(target.upstream_id) ?? []), target]);
    for (const upstream of upstreams.values()) out.set(upstream, byId.get(upstream.id) ?? []);
    return out;
  }

  #schedule(upstreamId: string, address: string, entry: Entry): void {
    const upstream = this.options.state.tables.upstreams.get(upstreamId);
    if (!upstream || this.#stopped) return;
    const { healthy, unhealthy } = upstream.healthchecks.active;
    const interval = entry.counter.healthy ? healthy.interval : unhealthy.interval;
    // Interval 0 in the current state: no probes until the state changes (Kong's rule).
    if (interval === 0) return;
    entry.timer = setTimeout(() => void this.#probe(upstreamId, address, entry), interval * 1000);
    entry.timer.unref();
  }

  async #probe(upstreamId: string, address: string, entry: Entry): Promise<void> {
    entry.timer = undefined;
    const upstream = this.options.state.tables.upstreams.get(upstreamId);
    const target = [...this.options.state.tables.targets.values()].find((t) => t.upstream_id === upstreamId && t.target === address);
    if (!upstream || !target || this.#entries.get(`${upstreamId}|${address}`) !== entry) return;
    entry.probing = true;
    let outcome: Outcome;
    try {
      outcome = await probe(upstream, target);
    } finally {
      entry.probing = false;
    }
    const changed = entry.counter.record(outcome, activeThresholds(upstream.healthchecks));
    if (changed !== undefined) this.#transition(upstreamId, address, changed, `active check (${outcome.kind === 'status' ? `status ${outcome.status}` : outcome.kind})`);
    if (this.#entries.get(`${upstreamId}|${address}`) === entry) this.#schedule(upstreamId, address, entry);
  }

  #transition(upstreamId: string, address: string, healthy: boolean, source: string): void {
    this.transitions++;
    const upstream = this.options.state.tables.upstreams.get(upstreamId);
    this.options.logger[healthy ? 'info' : 'warn']({ upstream: upstream?.name ?? upstreamId, target: address, healthy, source }, `proxy: target ${address} of upstream ${upstream?.name ?? upstreamId} is ${healthy ? 'healthy' : 'unhealthy'} (${source})`);
    // A probe waiting on the other state's interval starts over with this one's.
    const entry = this.#entries.get(`${upstreamId}|${address}`);
    if (entry && !entry.probing && upstream && healthchecksOn(upstream.healthchecks).active) {
      clearTimeout(entry.timer);
      entry.timer = undefined;
      this.#schedule(upstreamId, address, entry);
    }
    this.#changed(true);
  }

  #changed(broadcast: boolean): void {
    if (broadcast) this.options.broadcast(this.map());
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => void this.#publish(), 100);
    this.#debounce.unref();
  }

  async #publish(): Promise<void> {
    if (this.#stopped) return;
    const snapshots = new Map<string, UpstreamHealthSnapshot>();
    for (const [upstream, targets] of this.#byUpstream()) {
      const addresses: Record<string, { healthy: boolean }> = {};
      for (const t of targets) addresses[t.target] = { healthy: this.#entries.get(`${upstream.id}|${t.target}`)?.counter.healthy ?? true };
      snapshots.set(upstream.id, { checks: healthchecksOn(upstream.healthchecks), addresses });
    }
    try {
      await writeUpstreamHealth(this.options.db, this.options.nodeId, snapshots);
    } catch (err) {
      this.options.logger.warn({ err }, 'proxy: publishing upstream health failed; retrying at the next interval');
    }
  }
}
