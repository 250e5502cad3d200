import type { AwsCredentialIdentity } from '@smithy/types';
import { cachedProvider } from './cached';
import { AwsCredentialsError } from './errors';

describe('cachedProvider', () => {
  let now = 0;
  const clock = () => now;
  const temporary = (id: string, lifeMs: number): AwsCredentialIdentity => ({ accessKeyId: id, secretAccessKey: 's', expiration: new Date(now + lifeMs) });

  beforeEach(() => {
    now = 1_000_000;
  });

  it('shares one fetch between concurrent callers and keeps long-term keys forever', async () => {
    const fetch = jest.fn(async () => ({ accessKeyId: 'AKIA', secretAccessKey: 's' }));
    const provider = cachedProvider(fetch, { describe: 'test', now: clock });
    await Promise.all(Array.from({ length: 50 }, () => provider()));
    now += 365 * 86_400_000;
    await provider();
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('refreshes before expiry: 5 minutes early, or halfway through a short life', async () => {
    let n = 0;
    const fetch = jest.fn(async () => temporary(`K${++n}`, 3_600_000));
    const provider = cachedProvider(fetch, { describe: 'test', now: clock });
    expect((await provider()).accessKeyId).toBe('K1');
    now += 3_600_000 - 300_001;
    expect((await provider()).accessKeyId).toBe('K1');
    now += 2;
    expect((await provider()).accessKeyId).toBe('K2');

    const short = cachedProvider(async () => temporary(`S${++n}`, 20_000), { describe: 'short', now: clock });
    const first = (await short()).accessKeyId;
    now += 9_999;
    expect((await short()).accessKeyId).toBe(first);
    now += 2;
    expect((await short()).accessKeyId).not.toBe(first);
  });

  it('keeps valid credentials when a refresh fails, and fails naming the source once they expired', async () => {
    let fail = false;
    const provider = cachedProvider(
      async () => {
        if (fail) throw Object.assign(new Error('connect ECONNREFUSED'), { name: 'TimeoutError' });
        return temporary('K', 60_000);
      },
      { describe: 'EC2 instance profile', now: clock },
    );
    await provider();
    fail = true;
    now += 45_000;
    expect((await provider()).accessKeyId).toBe('K');
    now += 20_000;
    const error = await provider().then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(error).toBeInstanceOf(AwsCredentialsError);
    expect(error?.message).toBe('EC2 instance profile: TimeoutError: connect ECONNREFUSED');
  });
});
