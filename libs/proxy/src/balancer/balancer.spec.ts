import { DEFAULT_HEALTHCHECKS } from '@keygate/entities';
import type { TargetData, UpstreamData } from '../state/types';
import { Balancer } from './balancer';
import { HealthCounter, passiveThresholds } from './health';

const upstream = (over: Partial<UpstreamData> = {}): UpstreamData => ({
  id: 'u',
  name: 'pool',
  algorithm: 'round-robin',
  hash_on: 'none',
  hash_fallback: 'none',
  hash_on_header: null,
  hash_fallback_header: null,
  hash_on_cookie: null,
  hash_on_cookie_path: '/',
  hash_on_query_arg: null,
  hash_fallback_query_arg: null,
  hash_on_uri_capture: null,
  hash_fallback_uri_capture: null,
  slots: 10000,
  healthchecks: DEFAULT_HEALTHCHECKS,
  host_header: null,
  ...over,
});
const target = (n: number, weight = 100): TargetData => ({ id: `t${n}`, upstream_id: 'u', target: `10.0.0.${n}:80`, host: `10.0.0.${n}`, port: 80, weight });
const all = () => true;
const none = new Set<string>();

describe('Balancer', () => {
  it('round-robin follows the weights, smoothly, and skips weight 0', () => {
    const b = new Balancer(upstream(), [target(1, 1), target(2, 2), target(3, 0)]);
    const picks = Array.from({ length: 6 }, () => b.pick(all, none, undefined)!.host);
    expect(picks).toEqual(['10.0.0.2', '10.0.0.1', '10.0.0.2', '10.0.0.2', '10.0.0.1', '10.0.0.2']);
  });

  it('skips unhealthy and already tried targets; none left -> undefined', () => {
    const b = new Balancer(upstream(), [target(1), target(2)]);
    const healthy = (a: string) => a !== '10.0.0.1:80';
    expect(Array.from({ length: 3 }, () => b.pick(healthy, none, undefined)!.host)).toEqual(['10.0.0.2', '10.0.0.2', '10.0.0.2']);
    expect(b.pick(healthy, new Set(['10.0.0.2:80']), undefined)).toBeUndefined();
  });

  it('consistent hashing: a key keeps its target, moves only when that target is out, and is the same in another balancer', () => {
    const targets = [target(1), target(2), target(3)];
    const a = new Balancer(upstream({ algorithm: 'consistent-hashing' }), targets);
    const b = new Balancer(upstream({ algorithm: 'consistent-hashing' }), [...targets].reverse());
    const chosen = a.pick(all, none, 'alice')!;
    for (let i = 0; i < 5; i++) expect(a.pick(all, none, 'alice')).toBe(chosen);
    expect(b.pick(all, none, 'alice')!.target).toBe(chosen.target);
    const other = a.pick((x) => x !== chosen.target, none, 'alice')!;
    expect(other.target).not.toBe(chosen.target);
    const spread = new Set(Array.from({ length: 50 }, (_, i) => a.pick(all, none, `user-${i}`)!.target));
    expect(spread.size).toBe(3);
  });

  it('least-connections prefers the target with fewer requests in flight, relative to weight', () => {
    const b = new Balancer(upstream({ algorithm: 'least-connections' }), [target(1, 100), target(2, 100)]);
    const first = b.pick(all, none, undefined)!;
    b.started(first);
    const second = b.pick(all, none, undefined)!;
    expect(second).not.toBe(first);
    b.ended(first);
    b.started(second);
    expect(b.pick(all, none, undefined)).toBe(first);
  });
});

describe('HealthCounter (Kong passive rules)', () => {
  const t = passiveThresholds({ ...DEFAULT_HEALTHCHECKS, passive: { ...DEFAULT_HEALTHCHECKS.passive, unhealthy: { ...DEFAULT_HEALTHCHECKS.passive.unhealthy, http_failures: 2 }, healthy: { ...DEFAULT_HEALTHCHECKS.passive.healthy, successes: 1 } } });
  it('turns unhealthy after consecutive failures only, and healthy after successes', () => {
    const c = new HealthCounter();
    expect(c.record({ kind: 'status', status: 500 }, t)).toBeUndefined();
    expect(c.record({ kind: 'status', status: 200 }, t)).toBeUndefined(); // resets the failures
    expect(c.record({ kind: 'status', status: 500 }, t)).toBeUndefined();
    expect(c.record({ kind: 'status', status: 500 }, t)).toBe(false);
    expect(c.record({ kind: 'tcp_failure' }, t)).toBeUndefined(); // tcp_failures limit is 0: off
    expect(c.record({ kind: 'status', status: 200 }, t)).toBe(true);
  });
});
