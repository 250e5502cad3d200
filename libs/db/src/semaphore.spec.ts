import { DatabaseBusyError, DatabaseTimeoutError } from './errors';
import { QuerySemaphore } from './semaphore';

describe('QuerySemaphore', () => {
  it('grants up to its size at once and queues the rest in order', async () => {
    const sem = new QuerySemaphore(2, 1000, undefined);
    const a = await sem.acquire();
    await sem.acquire();
    const order: string[] = [];
    const third = sem.acquire().then((release) => {
      order.push('third');
      return release;
    });
    const fourth = sem.acquire().then((release) => {
      order.push('fourth');
      return release;
    });
    expect(sem.waiting).toBe(2);
    a();
    a(); // releasing twice is harmless
    (await third)();
    await fourth;
    expect(order).toEqual(['third', 'fourth']);
  });

  it('fails a waiter after pg_semaphore_timeout', async () => {
    const sem = new QuerySemaphore(1, 50, undefined);
    await sem.acquire();
    await expect(sem.acquire()).rejects.toBeInstanceOf(DatabaseTimeoutError);
    expect(sem.waiting).toBe(0);
  });

  it('refuses at once when pg_backlog waiters are queued', async () => {
    const sem = new QuerySemaphore(1, 1000, 1);
    const release = await sem.acquire();
    const waiting = sem.acquire();
    await expect(sem.acquire()).rejects.toBeInstanceOf(DatabaseBusyError);
    release();
    (await waiting)();
  });
});
