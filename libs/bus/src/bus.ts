import type pg from 'pg';
import type { Queryable } from '@keygate/db';
import type { Logger } from '@keygate/logging';
import { Backoff } from '@keygate/net';
import type { Channel } from './channel';

export interface BusOptions {
  /** Opens the dedicated LISTEN connection (outside the pool), e.g. `() => db.newClient()`. */
  readonly connect: () => Promise<pg.Client>;
  /** Publishes outside a transaction. */
  readonly db: Queryable;
  readonly logger: Logger;
  /** How often the idle connection is probed (`SELECT 1`), to notice a dead peer. Default 15 s. */
  readonly keepaliveMs?: number;
  /** How long a probe may take before the connection counts as dead. Default 5 s. */
  readonly probeTimeoutMs?: number;
  /** Backoff between reconnect attempts: starts at `minBackoffMs`, doubles, capped. */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

export interface BusStatus {
  readonly connected: boolean;
  readonly reconnects: number;
  readonly last_connected_at: string | null;
  readonly channels: string[];
}

type Handler = (text: string) => void;

/**
 * NOTIFY on `tx` (a transaction or a pool). No LISTEN connection is needed to publish; inside a
 * transaction the notification is delivered only if it commits.
 */
export async function notify<T>(tx: Queryable, ch: Channel<T>, payload: T): Promise<void> {
  await tx.query('SELECT pg_notify($1, $2)', [ch.name, ch.encode(payload)]);
}

/**
 * One dedicated LISTEN connection per process. NOTIFY is a hint: a notification sent while this
 * connection is down is never redelivered, so after every (re)connect the resync callbacks run
 * and re-read the tables. Reconnects forever with capped exponential backoff and jitter.
 */
export class Bus {
  readonly #handlers = new Map<string, Set<Handler>>();
  readonly #resync = new Set<() => Promise<void>>();
  readonly #ignored = new Map<string, { at: number; count: number }>();
  /** LISTENs issued for channels subscribed while connected, not yet answered. */
  readonly #pendingListens = new Set<Promise<void>>();
  #client: pg.Client | undefined;
  #connecting: Promise<void> | undefined;
  #stopped = false;
  #reconnects = 0;
  #lastConnected: Date | undefined;
  readonly #backoff: Backoff;
  #keepalive: NodeJS.Timeout | undefined;
  #retry: NodeJS.Timeout | undefined;

  constructor(private readonly options: BusOptions) {
    this.#backoff = new Backoff({ initialMs: options.minBackoffMs ?? 100, maxMs: options.maxBackoffMs ?? 10_000, jitter: 0.2 });
  }

  /** Connects (retrying until it succeeds or `stop()`), LISTENs, runs the resync callbacks. */
  start(): Promise<void> {
    this.#stopped = false;
    this.#connecting ??= this.#connectLoop();
    return this.#connecting;
  }

  /**
   * Resolves once connected and LISTENing on every channel subscribed so far (the runtime starts
   * the bus; a part that subscribes later and then asks something waits here first).
   */
  async ready(): Promise<void> {
    await this.#connecting;
    await Promise.all([...this.#pendingListens]);
  }

  subscribe<T>(ch: Channel<T>, handler: (payload: T) => void): () => void {
    const wrapped: Handler = (text) => {
      const payload = ch.decode(text);
      if (payload === undefined) {
        this.#malformed(ch.name);
        return;
      }
      handler(payload);
    };
    let set = this.#handlers.get(ch.name);
    if (!set) {
      set = new Set();
      this.#handlers.set(ch.name, set);
      const listening = this.#listen(ch.name).finally(() => this.#pendingListens.delete(listening));
      this.#pendingListens.add(listening);
    }
    set.add(wrapped);
    return () => set.delete(wrapped);
  }

  /**
   * Anyone who can connect to the database can NOTIFY: a malformed payload is counted and logged
   * at most once a minute per channel, so a flood cannot fill the log.
   */
  #malformed(channel: string): void {
    const now = Date.now();
    const seen = this.#ignored.get(channel) ?? { at: 0, count: 0 };
    seen.count++;
    this.#ignored.set(channel, seen);
    if (now - seen.at < 60_000) return;
    this.options.logger.warn({ channel, ignored: seen.count }, 'ignored a malformed notification (anyone who can connect to the database can NOTIFY; it changed nothing)');
    seen.at = now;
    seen.count = 0;
  }

  /** Called after every connect and reconnect: re-read whatever notifications may have been missed. */
  onResync(callback: () => Promise<void>): () => void {
    this.#resync.add(callback);
    return () => this.#resync.delete(callback);
  }

  /**
   * NOTIFY. Pass the transaction of the write it announces: PostgreSQL delivers it only if that
   * transaction commits, so nobody hears of a change that did not happen.
   */
  publish<T>(ch: Channel<T>, payload: T, tx: Queryable = this.options.db): Promise<void> {
    return notify(tx, ch, payload);
  }

  status(): BusStatus {
    return {
      connected: this.#client !== undefined,
      reconnects: this.#reconnects,
      last_connected_at: this.#lastConnected?.toISOString() ?? null,
      channels: [...this.#handlers.keys()].sort(),
    };
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retry);
    clearInterval(this.#keepalive);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }

  async #connectLoop(): Promise<void> {
    while (!this.#stopped) {
      try {
        await this.#connect();
        this.#backoff.reset();
        return;
      } catch (err) {
        const delay = this.#backoff.next();
        // One line per attempt, the cause without a stack (as the database wait logs them).
        const cause = (err as Error).message;
        this.options.logger.warn({ error: cause, retry_in_ms: delay }, `bus: cannot connect for LISTEN (${cause}); retrying in ${delay} ms`);
        await new Promise((resolve) => {
          this.#retry = setTimeout(resolve, delay);
        });
      }
    }
  }

  async #connect(): Promise<void> {
    const client = await this.options.connect();
    client.on('notification', (msg) => {
      for (const handler of this.#handlers.get(msg.channel) ?? []) {
        try {
          handler(msg.payload ?? '');
        } catch (err) {
          this.options.logger.error({ err, channel: msg.channel }, 'bus: notification handler failed');
        }
      }
    });
    const lost = (why: string) => () => this.#lost(client, why);
    client.on('error', lost('connection error'));
    client.on('end', lost('connection ended'));
    if (this.#stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    // Set before LISTENing, so a channel subscribed meanwhile is LISTENed by #listen.
    this.#client = client;
    for (const name of this.#handlers.keys()) await client.query(`LISTEN ${name}`);
    if (this.#lastConnected) this.#reconnects++;
    this.#lastConnected = new Date();
    this.#startKeepalive(client);
    this.options.logger.info({ reconnects: this.#reconnects }, 'bus: listening');
    await this.#runResync();
  }

  async #runResync(): Promise<void> {
    for (const callback of this.#resync) {
      await callback().catch((err: unknown) => this.options.logger.error({ err }, 'bus: resync failed'));
    }
  }

  #startKeepalive(client: pg.Client): void {
    clearInterval(this.#keepalive);
    this.#keepalive = setInterval(() => {
      const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('keepalive probe timed out')), this.options.probeTimeoutMs ?? 5000).unref());
      Promise.race([client.query('SELECT 1'), timeout]).catch(() => this.#lost(client, 'keepalive probe failed'));
    }, this.options.keepaliveMs ?? 15_000);
    this.#keepalive.unref();
  }

  #lost(client: pg.Client, why: string): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    this.#connecting = undefined;
    clearInterval(this.#keepalive);
    client.end().catch(() => undefined);
    if (this.#stopped) return;
    this.options.logger.warn({ reason: why }, 'bus: LISTEN connection lost; reconnecting');
    this.#connecting = this.#connectLoop();
  }

  async #listen(name: string): Promise<void> {
    const client = this.#client;
    if (!client) return; // LISTENed on (re)connect
    try {
      await client.query(`LISTEN ${name}`);
    } catch {
      this.#lost(client, 'LISTEN failed');
    }
  }
}
