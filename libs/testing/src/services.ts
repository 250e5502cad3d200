import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { processEnv } from '@keygate/config';

/**
 * Where the test suite finds PostgreSQL (as a superuser that can create databases) and Redis.
 * Defaults match the CI machines; `KEYGATE_TEST_PG_*` / `KEYGATE_TEST_REDIS_URL` override.
 */
export interface TestServices {
  readonly pg: { readonly host: string; readonly port: number; readonly user: string; readonly password?: string };
  readonly redisUrl: string;
}

export function testServices(): TestServices {
  const env = processEnv();
  return {
    pg: {
      host: env.KEYGATE_TEST_PG_HOST ?? '127.0.0.1',
      port: Number(env.KEYGATE_TEST_PG_PORT ?? 5432),
      user: env.KEYGATE_TEST_PG_USER ?? 'postgres',
      ...(env.KEYGATE_TEST_PG_PASSWORD ? { password: env.KEYGATE_TEST_PG_PASSWORD } : {}),
    },
    redisUrl: env.KEYGATE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  };
}

/** A key prefix no other test file uses (BullMQ queues, cache keys). */
export function redisPrefix(): string {
  return `kgtest:${randomBytes(6).toString('hex')}`;
}

/** Fails loudly (never skips) when Redis is not there: a missing service must fail CI. */
export function assertRedisReachable(url = testServices().redisUrl): Promise<void> {
  const parsed = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: parsed.hostname, port: Number(parsed.port || 6379) });
    socket.setTimeout(2000, () => {
      socket.destroy();
      reject(new Error(`Redis at ${url} did not answer PING within 2 s; start it (see DEVELOPERS.md)`));
    });
    socket.once('error', (err) => reject(new Error(`Redis at ${url} is not reachable (${err.message}); start it (see DEVELOPERS.md)`)));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      if (data.toString().startsWith('+PONG')) resolve();
      else reject(new Error(`Redis at ${url} answered ${JSON.stringify(data.toString().trim())} to PING`));
    });
  });
}

/** A value tests plant in configuration to prove it never reaches a log; `npm test` scans for the marker. */
export const PLANTED_MARKER = 'PLANTED-SECRET';

export function plantedSecret(label = 'value'): string {
  return `${PLANTED_MARKER}-${label}-${randomBytes(6).toString('hex')}`;
}

/** A port nothing listens on (bound and released; a tiny race is acceptable in tests). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * A base port such that `base + i*step` (i < count) are all free, for things that derive ports
 * from a base (the local cluster). Chosen at random below the ephemeral range.
 */
export async function freePortBlock(count: number, step = 10): Promise<number> {
  const { createServer } = await import('node:net');
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 1000) * step;
    const ports = Array.from({ length: count }, (_, i) => base + i * step);
    if ((await Promise.all(ports.map(free))).every(Boolean)) return base;
  }
  throw new Error(`no block of ${count} free ports found`);
}
