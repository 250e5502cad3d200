import { randomBytes } from 'node:crypto';
import { loadConfig } from '@keygate/config';
import { Database, connectionSettings } from '@keygate/db';
import { silentLogger } from '@keygate/logging';
import { useTestDatabase } from '@keygate/testing';
import { Bus } from './bus';
import { channel, PayloadTooLargeError } from './channel';

const database = useTestDatabase({ migrate: false });
const changes = channel<{ id: string }>('test_changes', (v) => (typeof (v as { id?: unknown })?.id === 'string' ? (v as { id: string }) : undefined));

async function setup() {
  const app = `bus-${randomBytes(4).toString('hex')}`;
  const { config } = await loadConfig({ env: {}, defaultPaths: [], overrides: database.get().settings() });
  const db = new Database({ settings: connectionSettings(config, 'rw')!, logger: silentLogger(), app });
  const bus = new Bus({ connect: () => db.newClient(), db, logger: silentLogger(), keepaliveMs: 200, probeTimeoutMs: 500, minBackoffMs: 50, maxBackoffMs: 200 });
  return { app, db, bus };
}

function collector<T>() {
  const seen: T[] = [];
  const waiters: Array<() => void> = [];
  return {
    seen,
    push(value: T) {
      seen.push(value);
      waiters.splice(0).forEach((w) => w());
    },
    async until(count: number, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (seen.length < count) {
        if (Date.now() > deadline) throw new Error(`saw ${seen.length} of ${count}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
    },
  };
}

describe('Bus', () => {
  it('delivers notifications, only for committed transactions', async () => {
    const { db, bus } = await setup();
    const got = collector<{ id: string }>();
    bus.subscribe(changes, (p) => got.push(p));
    await bus.start();
    await bus.publish(changes, { id: 'a' });
    await db.transaction(async (tx) => bus.publish(changes, { id: 'committed' }, tx));
    await db
      .transaction(async (tx) => {
        await bus.publish(changes, { id: 'rolled-back' }, tx);
        throw new Error('abort');
      })
      .catch(() => undefined);
    await db.query("SELECT pg_notify('test_changes', 'not json')");
    await bus.publish(changes, { id: 'last' });
    await got.until(3);
    expect(got.seen.map((p) => p.id)).toEqual(['a', 'committed', 'last']);
    await bus.stop();
    await db.close();
  });

  it('reconnects after its backend is terminated, resyncs, and keeps receiving', async () => {
    const { app, db, bus } = await setup();
    const got = collector<{ id: string }>();
    let resyncs = 0;
    bus.onResync(async () => {
      resyncs++;
    });
    bus.subscribe(changes, (p) => got.push(p));
    await bus.start();
    expect(resyncs).toBe(1);
    const killed = await db.query<{ n: number }>(
      "SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'",
      [`keygate-${app}`],
    );
    expect(killed.rows[0]?.n).toBe(1);
    const deadline = Date.now() + 5000;
    while (resyncs < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(resyncs).toBe(2);
    expect(bus.status()).toMatchObject({ connected: true, reconnects: 1, channels: ['test_changes'] });
    await bus.publish(changes, { id: 'after' });
    await got.until(1);
    expect(got.seen).toEqual([{ id: 'after' }]);
    await bus.stop();
    await db.close();
  });

  it('refuses payloads that would exceed the NOTIFY limit', async () => {
    const { db, bus } = await setup();
    await expect(bus.publish(changes, { id: 'x'.repeat(8000) })).rejects.toBeInstanceOf(PayloadTooLargeError);
    await db.close();
  });
});
