import type { ConnectionOptions } from 'bullmq';
import type { Config } from '@keygate/config';
import { backoffDelay } from '@keygate/net';

export interface QueueSettings {
  /** `redis_url` as text (revealed only here, at the edge that needs it). */
  readonly url: string;
  /** `redis_prefix`: every key under it, so clusters (and test files) can share a Redis. */
  readonly prefix: string;
}

export function queueSettings(config: Config): QueueSettings {
  return { url: config.redis_url.reveal(), prefix: config.redis_prefix };
}

/**
 * ioredis options with bounded waits: connecting times out after 5 s and reconnects back off up
 * to 5 s. Producers (`forWorker: false`) fail at once while Redis is down instead of queueing
 * commands in memory (the outbox keeps the job); workers block on Redis and need
 * `maxRetriesPerRequest: null` (BullMQ's requirement).
 */
export function redisConnection(settings: QueueSettings, forWorker: boolean): ConnectionOptions {
  const url = new URL(settings.url);
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.pathname.length > 1 ? { db: Number(url.pathname.slice(1)) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    connectTimeout: 5_000,
    retryStrategy: (attempt: number) => backoffDelay(attempt, { initialMs: 100, maxMs: 5_000 }),
    maxRetriesPerRequest: forWorker ? null : 1,
    enableOfflineQueue: forWorker,
    ...(forWorker ? {} : { commandTimeout: 5_000 }),
    lazyConnect: false,
  };
}
