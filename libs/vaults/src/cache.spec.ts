import { SecretCache } from './cache';

const ttl = (seconds: number, options: { neg?: number; resurrect?: number } = {}) => ({
  ttlMs: seconds > 0 ? seconds * 1000 : Infinity,
  negTtlMs: (options.neg ?? seconds) * 1000,
  resurrectMs: (options.resurrect ?? 1e8) * 1000,
});

describe('SecretCache', () => {
  let now: number;
  let cache: SecretCache;
  let backend: { value: string; fail?: Error; calls: number };
  const fetch = async () => {
    backend.calls++;
    await new Promise((resolve) => setImmediate(resolve));
    if (backend.fail) throw backend.fail;
    return backend.value;
  };

  beforeEach(() => {
    now = 1_000_000;
    cache = new SecretCache({ now: () => now, negativeFloorMs: 0 });
    backend = { value: 'v1', calls: 0 };
  });

  it('shares one backend call between 1000 concurrent lookups', async () => {
    const results = await Promise.all(Array.from({ length: 1000 }, () => cache.get('k', ttl(0), fetch)));
    expect(backend.calls).toBe(1);
    expect(new Set(results.map((r) => r.value.reveal()))).toEqual(new Set(['v1']));
    expect(cache.stats()).toMatchObject({ backend_calls: 1 });
  });

  it('never re-reads with ttl 0, re-reads once the ttl passed', async () => {
    await cache.get('forever', ttl(0), fetch);
    now += 1e9;
    await cache.get('forever', ttl(0), fetch);
    expect(backend.calls).toBe(1);

    await cache.get('five', ttl(5), fetch);
    now += 4_999;
    expect((await cache.get('five', ttl(5), fetch)).value.reveal()).toBe('v1');
    backend.value = 'v2';
    now += 1;
    expect((await cache.get('five', ttl(5), fetch)).value.reveal()).toBe('v2');
    expect(backend.calls).toBe(3);
  });

  it('serves the last good value while the backend fails, until ttl + resurrect_ttl', async () => {
    await cache.get('k', ttl(5, { resurrect: 30, neg: 10 }), fetch);
    backend.fail = new Error('ServiceUnavailableException');
    now += 6_000;
    const stale = await cache.get('k', ttl(5, { resurrect: 30, neg: 10 }), fetch);
    expect(stale).toMatchObject({ stale: true, error: backend.fail });
    expect(stale.value.reveal()).toBe('v1');
    // Within neg_ttl the failure is not retried.
    await cache.get('k', ttl(5, { resurrect: 30, neg: 10 }), fetch);
    expect(backend.calls).toBe(2);
    now += 30_000;
    await expect(cache.get('k', ttl(5, { resurrect: 30, neg: 10 }), fetch)).rejects.toThrow('ServiceUnavailableException');
  });

  it('remembers a failure for neg_ttl, then tries again', async () => {
    backend.fail = new Error('not found');
    await expect(cache.get('k', ttl(0, { neg: 10 }), fetch)).rejects.toThrow('not found');
    await expect(cache.get('k', ttl(0, { neg: 10 }), fetch)).rejects.toThrow('not found');
    expect(backend.calls).toBe(1);
    backend.fail = undefined;
    now += 10_000;
    expect((await cache.get('k', ttl(0, { neg: 10 }), fetch)).value.reveal()).toBe('v1');
  });

  it('reports changed values on refresh and lists what is due', async () => {
    const changed: string[] = [];
    cache.onChange((key) => changed.push(key));
    await cache.get('a', ttl(5), fetch);
    await cache.get('b', ttl(60), fetch);
    now += 5_000;
    expect(cache.due()).toEqual(['a']);
    expect(await cache.refresh('a')).toEqual({ changed: false });
    backend.value = 'v2';
    now += 5_000;
    expect(await cache.refresh('a')).toEqual({ changed: true });
    expect(changed).toEqual(['a']);
    expect(JSON.stringify(cache.entries())).not.toContain('v2');
  });
});
