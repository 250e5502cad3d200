import { Backoff, backoffDelay, retry } from './backoff';

describe('backoff', () => {
  it('doubles from initialMs and stops at maxMs', () => {
    expect([0, 1, 2, 3, 4, 5].map((n) => backoffDelay(n, { initialMs: 100, maxMs: 1000 }))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(backoffDelay(5000, { initialMs: 100, maxMs: 1000 })).toBe(1000);
  });

  it('keeps jittered delays within the spread around the schedule', () => {
    for (let i = 0; i < 200; i++) {
      const delay = backoffDelay(2, { initialMs: 100, maxMs: 10_000, jitter: 0.2 });
      expect(delay).toBeGreaterThanOrEqual(320);
      expect(delay).toBeLessThanOrEqual(480);
    }
  });

  it('refuses options that make no schedule', () => {
    expect(() => new Backoff({ initialMs: 500, maxMs: 100 })).toThrow(RangeError);
    expect(() => new Backoff({ jitter: 1 })).toThrow(RangeError);
  });

  it('grows with each failure and starts over after reset()', () => {
    const backoff = new Backoff({ initialMs: 10, maxMs: 35 });
    expect([backoff.next(), backoff.next(), backoff.next(), backoff.next()]).toEqual([10, 20, 35, 35]);
    expect(backoff.attempts).toBe(4);
    backoff.reset();
    expect(backoff.next()).toBe(10);
  });

  it('retries until the call succeeds, reporting each wait', async () => {
    const waits: Array<{ attempt: number; delayMs: number }> = [];
    let calls = 0;
    const result = await retry(
      async (attempt) => {
        calls++;
        if (attempt < 3) throw new Error(`down ${attempt}`);
        return 'up';
      },
      { initialMs: 1, maxMs: 2, onRetry: (_err, wait) => waits.push(wait) },
    );
    expect(result).toBe('up');
    expect(calls).toBe(3);
    expect(waits).toEqual([
      { attempt: 1, delayMs: 1 },
      { attempt: 2, delayMs: 2 },
    ]);
  });

  it('throws the last error after the attempts, and at once on an error not worth retrying', async () => {
    let calls = 0;
    await expect(retry(async () => Promise.reject(new Error(`failure ${++calls}`)), { attempts: 3, initialMs: 1 })).rejects.toThrow('failure 3');
    calls = 0;
    const permanent = new Error('bad password');
    await expect(retry(async () => (calls++, Promise.reject(permanent)), { initialMs: 1, retryable: (err) => err !== permanent })).rejects.toBe(permanent);
    expect(calls).toBe(1);
  });
});
