import { DatabaseBusyError, DatabaseTimeoutError } from './errors';

/**
 * Bounds queries in flight (`pg_max_concurrent_queries`), how long one waits for a slot
 * (`pg_semaphore_timeout`) and how many may wait (`pg_backlog`), as Kong's semaphore does.
 */
export class QuerySemaphore {
  #available: number;
  readonly #waiters: Array<{ grant: () => void; timer: NodeJS.Timeout }> = [];

  constructor(
    readonly size: number,
    private readonly timeoutMs: number,
    private readonly backlog: number | undefined,
  ) {
    this.#available = size;
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  async acquire(): Promise<() => void> {
    if (this.#available > 0) {
      this.#available--;
      return this.#releaser();
    }
    if (this.backlog !== undefined && this.#waiters.length >= this.backlog) {
      throw new DatabaseBusyError(`too many queries waiting for a connection (pg_backlog = ${this.backlog})`);
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: () => {
          clearTimeout(waiter.timer);
          resolve(this.#releaser());
        },
        timer: setTimeout(() => {
          this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
          reject(new DatabaseTimeoutError(`no connection free within pg_semaphore_timeout (${this.timeoutMs} ms)`));
        }, this.timeoutMs),
      };
      this.#waiters.push(waiter);
    });
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiters.shift();
      if (next) next.grant();
      else this.#available++;
    };
  }
}
