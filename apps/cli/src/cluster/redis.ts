import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { connect } from 'node:net';
import { delimiter, join } from 'node:path';
import { processEnv } from '@keygate/config';
import type { Secret } from '@keygate/crypto';
import { ClusterError } from './errors';
import { LOCAL_HOSTS, waitFor } from './net';

export interface RedisHandle {
  readonly description: string;
  stop(): Promise<void>;
}

/** Sends PING (with AUTH when the URL has a password) and expects PONG. */
export function pingRedis(url: URL, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port: Number(url.port || 6379) });
    let buffer = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => {
      const auth = url.password ? `AUTH ${url.username ? `${decodeURIComponent(url.username)} ` : ''}${decodeURIComponent(url.password)}\r\n` : '';
      socket.write(`${auth}PING\r\n`);
    });
    socket.on('data', (chunk) => {
      buffer += chunk.toString();
      if (buffer.includes('+PONG')) done(true);
      else if (buffer.includes('-')) done(false);
    });
  });
}

function onPath(command: string): boolean {
  return (processEnv().PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Uses the Redis at `redis_url` when it answers; otherwise starts `redis-server` as a child
 * (local URL only, nothing persisted); otherwise fails saying how to get one.
 */
export async function ensureRedis(redisUrl: Secret<string>, log: (line: string) => void): Promise<RedisHandle> {
  const url = new URL(redisUrl.reveal());
  const display = `redis://${url.hostname}:${url.port || 6379}`;
  if (await pingRedis(url)) return { description: `${display} (already running)`, stop: async () => undefined };
  if (!LOCAL_HOSTS.has(url.hostname)) {
    throw new ClusterError(`Redis does not answer at ${display} (redis_url). Start it, or point KONG_REDIS_URL at one that runs.`);
  }
  if (!onPath('redis-server')) {
    throw new ClusterError(
      `Redis does not answer at ${display} (redis_url), and redis-server is not installed.\n` +
        'Install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set KONG_REDIS_URL to a running Redis.',
    );
  }
  log(`starting redis-server on ${display}`);
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(url.port || 6379), '--bind', url.hostname === 'localhost' ? '127.0.0.1' : url.hostname, '--save', '', '--appendonly', 'no'],
    // Own process group, so Ctrl-C does not stop Redis before the nodes that use it.
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  if (!(await waitFor(async () => exited || pingRedis(url), 10_000)) || exited) {
    child.kill('SIGKILL');
    throw new ClusterError(`redis-server did not start on ${display}`);
  }
  return {
    description: `${display} (started by keygate, nothing persisted)`,
    stop: () =>
      new Promise((resolve) => {
        if (exited) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
