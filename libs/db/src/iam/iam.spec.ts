import { ConnectionRateLimiter, SETUP_JITTER_GUARD_MS } from './rate-limit';
import { regionFromRdsHost } from './region';

describe('regionFromRdsHost', () => {
  it.each([
    ['kong.c1abcd2efgh3.eu-west-1.rds.amazonaws.com', 'eu-west-1'],
    ['db.cluster-ro-xyz.us-gov-west-1.rds.amazonaws.com', 'us-gov-west-1'],
    ['a.b.cn-north-1.rds.amazonaws.com.cn', 'cn-north-1'],
    ['a.b.us-iso-east-1.rds.c2s.ic.gov', 'us-iso-east-1'],
    ['a.b.us-isob-east-1.rds.sc2s.sgov.gov', 'us-isob-east-1'],
    ['127.0.0.1', undefined],
    ['postgres.internal', undefined],
    ['evil.eu-west-1.rds.amazonaws.com.attacker.net', undefined],
  ])('%s -> %s', (host, region) => {
    expect(regionFromRdsHost(host)).toBe(region);
  });
});

describe('ConnectionRateLimiter', () => {
  it('never lets more than its rate through in any one-second window, even with set-up jitter', async () => {
    const limiter = new ConnectionRateLimiter(20);
    const times: number[] = [];
    await Promise.all(Array.from({ length: 60 }, async () => {
      await limiter.acquire();
      times.push(Date.now());
    }));
    times.sort((a, b) => a - b);
    // Observed after the promise chain (a lag that varies, as connection set-up does at a
    // server): still at most the rate in any one second.
    for (const start of times) {
      const inWindow = times.filter((t) => t >= start && t < start + 1000).length;
      expect(inWindow).toBeLessThanOrEqual(20);
    }
    // 60 connections, 20 per 1 s + guard: at least two full windows.
    expect(times[times.length - 1]! - times[0]!).toBeGreaterThanOrEqual(2 * (1000 + SETUP_JITTER_GUARD_MS) - 100);
  });
});
