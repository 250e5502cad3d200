import { randomBytes } from 'node:crypto';
import { AppProcess, freePort, redisPrefix, useTestDatabase } from '@keygate/testing';

const database = useTestDatabase();
jest.setTimeout(120_000);

describe('vault-resolver without Redis', () => {
  it('serves (references are re-read on demand), shows Redis in /status, warns once naming redis_url, and stops cleanly', async () => {
    const port = await freePort();
    const resolver = await AppProcess.start('vault-resolver', {
      env: {
        ...database.get().env(),
        KONG_KEYRING_CLUSTER_SECRET: randomBytes(24).toString('base64url'),
        KONG_VAULT_RESOLVER_LISTEN: `127.0.0.1:${await freePort()}`,
        KONG_REDIS_URL: `redis://127.0.0.1:${port}`,
        KONG_REDIS_PREFIX: redisPrefix(),
      },
    });
    try {
      await resolver.waitForLine((line) => line.includes(`cannot reach Redis at redis_url = redis://127.0.0.1:${port}`), 30_000, 'the Redis warning');
      // Several reconnect attempts (backoff from 100 ms) while /status is read.
      let body: { ready?: boolean; redis?: { connected: boolean; url: string } } = {};
      for (let i = 0; i < 20; i++) {
        body = (await (await fetch(`${resolver.url('status')}/status`)).json()) as typeof body;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(body.redis).toMatchObject({ url: `redis://127.0.0.1:${port}`, connected: false });
      expect(body.ready).toBe(true);
      expect(resolver.lines.filter((line) => line.includes('"level":"warn"') && /redis|queue|worker/i.test(line))).toHaveLength(1);
    } finally {
      const exit = await resolver.stop(20_000);
      expect(exit.code).toBe(0);
      expect(resolver.output).not.toContain('did not stop within');
    }
  });
});
