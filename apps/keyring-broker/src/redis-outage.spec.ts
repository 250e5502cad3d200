import { randomBytes } from 'node:crypto';
import { AppProcess, freePort, redisPrefix, useTestDatabase } from '@keygate/testing';

const database = useTestDatabase();
jest.setTimeout(120_000);

describe('keyring-broker without Redis', () => {
  it('says once that redis_url cannot be reached, shows it in /status, is not ready, and stops cleanly', async () => {
    const port = await freePort();
    const broker = await AppProcess.start('keyring-broker', {
      waitReady: false,
      env: {
        ...database.get().env(),
        KONG_KEYRING_ENABLED: 'on',
        KONG_KEYRING_CLUSTER_SECRET: randomBytes(24).toString('base64url'),
        KONG_REDIS_URL: `redis://127.0.0.1:${port}`,
        KONG_REDIS_PREFIX: redisPrefix(),
      },
    });
    try {
      await broker.waitForLine((line) => line.includes('"msg":"keyring-broker started"'), 60_000, 'the started line');
      await broker.waitForLine((line) => line.includes(`cannot reach Redis at redis_url = redis://127.0.0.1:${port}`), 30_000, 'the Redis warning');
      const status = `${broker.url('status')}/status`;
      // Until ioredis has failed several reconnects (backoff from 100 ms): long enough for the old
      // per-attempt warnings of each queue and worker to have piled up.
      let body: { ready: boolean; not_ready_reason?: string; redis?: { url: string; connected: boolean; error?: string } } = { ready: true };
      for (let i = 0; i < 40; i++) {
        body = (await (await fetch(status)).json()) as typeof body;
        if (broker.lines.filter((line) => line.includes('ECONNREFUSED')).length >= 1 && i >= 20) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(body.redis).toMatchObject({ url: `redis://127.0.0.1:${port}`, connected: false, error: expect.stringContaining('ECONNREFUSED') });
      expect(body.ready).toBe(false);
      expect(body.not_ready_reason).toContain(`Redis is not reachable at redis_url = redis://127.0.0.1:${port}`);
      const ready = await fetch(`${status}/ready`);
      expect(ready.status).toBe(503);

      const warnings = broker.lines.filter((line) => line.includes('"level":"warn"') && /redis|queue|worker/i.test(line));
      expect(warnings).toHaveLength(1);
      expect(broker.output).not.toContain('queue connection problem');
    } finally {
      const exit = await broker.stop(20_000);
      // Within runApp's budget: a node that waited on Redis past it would exit 1 with "did not stop".
      expect(exit.code).toBe(0);
      expect(broker.output).toContain('"msg":"keyring-broker stopped"');
      expect(broker.output).not.toContain('did not stop within');
    }
  });
});
