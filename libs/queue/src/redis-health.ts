import { maskUrlPassword } from '@keygate/config';
import type { Logger } from '@keygate/logging';

/** A BullMQ queue or worker as far as its connection goes. */
export interface RedisUser {
  on(event: 'error', listener: (err: Error) => void): unknown;
  /** Resolves once the connection first answered. */
  waitUntilReady(): Promise<void>;
  /** BullMQ's backend: `ready` after each (re)connect. */
  readonly backend: { on(event: 'ready', listener: () => void): unknown };
  close(): Promise<void>;
  disconnect(): Promise<void>;
}

export interface RedisHealthOptions {
  /** `redis_url` as configured (its password is masked in every message). */
  readonly url: string;
  readonly logger: Logger;
  /** While Redis stays away, a reminder at most this often. @defaultValue 60_000 */
  readonly reminderMs?: number;
  readonly now?: () => number;
}

/**
 * What a node knows about its Redis: every queue and worker reports to it. The operator gets one
 * warning naming `redis_url` when Redis cannot be reached (ioredis keeps reconnecting with the
 * capped backoff of `redisConnection`, and each queue and worker would otherwise log every
 * attempt), a reminder a minute, and a line when it is back. `GET /status` shows it (`redis`), and
 * a role whose work needs Redis is not ready without it.
 */
export class RedisHealth {
  readonly #url: string;
  readonly #users: RedisUser[] = [];
  #connected = false;
  #lastError: string | undefined;
  #downSince: number;
  #warned = false;
  #remindedAt = 0;

  constructor(private readonly options: RedisHealthOptions) {
    this.#url = maskUrlPassword(options.url);
    this.#downSince = this.#now();
  }

  #now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** Follows a queue's or worker's connection (its errors and reconnects). */
  watch<T extends RedisUser>(user: T): T {
    this.#users.push(user);
    user.on('error', (err) => this.failed(err));
    user.backend.on('ready', () => this.reachable());
    user.waitUntilReady().then(
      () => this.reachable(),
      () => undefined,
    );
    return user;
  }

  failed(err: Error): void {
    const now = this.#now();
    this.#lastError = err.message;
    const { logger } = this.options;
    if (this.#connected || !this.#warned) {
      this.#connected = false;
      this.#downSince = now;
      this.#warned = true;
      this.#remindedAt = now;
      logger.warn({ redis_url: this.#url, error: err.message }, `cannot reach Redis at redis_url = ${this.#url} (${err.message}); background jobs wait until it answers (retrying with backoff)`);
    } else if (now - this.#remindedAt >= (this.options.reminderMs ?? 60_000)) {
      this.#remindedAt = now;
      logger.warn({ redis_url: this.#url, error: err.message }, `still cannot reach Redis at redis_url = ${this.#url} after ${Math.round((now - this.#downSince) / 1000)} s (${err.message})`);
    }
  }

  reachable(): void {
    if (this.#connected) return;
    this.#connected = true;
    if (this.#warned) this.options.logger.info({ redis_url: this.#url }, `Redis at redis_url = ${this.#url} answers again`);
    this.#warned = false;
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** The `redis` section of `GET /status`. */
  status(): Record<string, unknown> {
    return {
      url: this.#url,
      connected: this.#connected,
      ...(this.#connected ? {} : { since: new Date(this.#downSince).toISOString(), ...(this.#lastError ? { error: this.#lastError } : {}) }),
    };
  }

  /** For readiness: why the node is not ready, or undefined. */
  notReadyReason(): string | undefined {
    return this.#connected ? undefined : `Redis is not reachable at redis_url = ${this.#url}${this.#lastError ? ` (${this.#lastError})` : ''}`;
  }

  /**
   * Closes every watched queue and worker; those still waiting for an absent Redis after
   * `timeoutMs` are disconnected, so a node stops within its budget.
   */
  async close(timeoutMs = 1_500): Promise<void> {
    const within = async (work: Promise<unknown>): Promise<boolean> => {
      let timer: NodeJS.Timeout | undefined;
      const done = await Promise.race([work.then(() => true), new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))]);
      clearTimeout(timer);
      return done;
    };
    const closing = this.#users.map((user) => user.close().catch(() => undefined));
    if (await within(Promise.all(closing))) return;
    const stuck = this.#users.length;
    await within(Promise.all(this.#users.map((user) => user.disconnect().catch(() => undefined))));
    this.options.logger.info({ redis_url: this.#url, connections: stuck }, 'Redis did not answer while closing: connections dropped');
  }
}
