import { Queue } from 'bullmq';
import { Bus } from '@keygate/bus';
import { silentLogger } from '@keygate/logging';
import { redisPrefix, testServices, useTestDatabase } from '@keygate/testing';
import { QUEUES } from './names';
import { OutboxRelay, outboxEnqueuedAt, requestJob } from './outbox';

const database = useTestDatabase();

describe('outbox relay', () => {
  const stops: Array<() => Promise<unknown> | void> = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  });

  it('moves a requested job to Redis once although two relays hear of it and drain at once', async () => {
    const db = await database.get().db();
    const prefix = redisPrefix();
    const added: string[] = [];
    const queues: Queue[] = [];
    const relays: OutboxRelay[] = [];
    for (let i = 0; i < 2; i++) {
      const queue = new Queue(QUEUES.secretRefresh, { connection: { url: testServices().redisUrl }, prefix });
      const add = queue.add.bind(queue);
      queue.add = ((name, data, opts) => {
        added.push(String(opts?.jobId));
        return add(name, data, opts);
      }) as typeof queue.add;
      const bus = new Bus({ connect: () => db.newClient(), db, logger: silentLogger() });
      const relay = new OutboxRelay({ db, bus, queues: new Map([[QUEUES.secretRefresh, queue]]), logger: silentLogger(), sweepMs: 60_000 });
      relay.start();
      await bus.start();
      stops.push(() => queue.obliterate({ force: true }).then(() => queue.close()), () => bus.stop(), () => relay.stop());
      queues.push(queue);
      relays.push(relay);
    }

    const id = await db.transaction((tx) => requestJob(tx, QUEUES.secretRefresh, 'refresh', { reference: '{vault://env/kong-test}' }));
    // Both drain now, and both hear the NOTIFY and drain again ~100 ms later.
    await Promise.all(relays.map((relay) => relay.drain()));
    await new Promise((resolve) => setTimeout(resolve, 400));
    await Promise.all(relays.map((relay) => relay.drain()));

    expect(await outboxEnqueuedAt(db, id)).toBeInstanceOf(Date);
    expect(added).toEqual([id]);
    const row = await db.query<{ attempts: number }>('SELECT attempts FROM job_outbox WHERE id = $1', [id]);
    expect(row.rows[0]?.attempts).toBe(1);
    expect(await queues[0]!.getJobCountByTypes('waiting', 'delayed', 'active', 'completed', 'failed')).toBe(1);
  });

  it('leaves a request whose transaction rolled back out of the outbox', async () => {
    const db = await database.get().db();
    await expect(
      db.transaction(async (tx) => {
        await requestJob(tx, QUEUES.secretRefresh, 'refresh', { reference: '{vault://env/x}' }, '00000000-0000-4000-8000-000000000001');
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect((await db.query('SELECT 1 FROM job_outbox WHERE id = $1', ['00000000-0000-4000-8000-000000000001'])).rows).toHaveLength(0);
  });
});
