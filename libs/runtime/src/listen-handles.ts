import { lookup } from 'node:dns/promises';
import * as net from 'node:net';
import { getSystemErrorName } from 'node:util';
import { processEnv } from '@keygate/config';

/**
 * Listen sockets kept by a parent process and handed to its children over their IPC channel, so
 * that a child can be replaced while the socket keeps accepting: the all-in-one node (`keygate
 * start`) binds its roles' listeners once and starts a role's successor on the same socket before
 * the old one drains, as nginx's master keeps its listeners across `kong reload`. A connection
 * that arrives meanwhile waits in the socket's queue for whichever process accepts it first;
 * none is refused.
 *
 * Every process holding the socket accepts on it directly (nothing is relayed through the
 * parent), which is node:cluster's `SCHED_NONE` done by hand: a role cannot be a node:cluster
 * worker itself because the proxy role is the cluster primary of its own workers.
 */

/** Set (to `1`) in the environment of a child whose non-zero-port listeners come from its parent. */
export const LISTEN_HANDLES_ENV = 'KEYGATE_LISTEN_HANDLES';

/** A bound TCP socket as node passes it between processes (`net.Server#listen(handle)` takes it). */
export type ListenHandle = object;

interface ListenRequest {
  readonly type: 'keygate:listen';
  readonly id: number;
  readonly host: string;
  readonly port: number;
  /** Only in replies: why the socket could not be had (an errno name: `EADDRINUSE`). */
  readonly error?: string;
}

/** The IPC channel of a child as its parent sees it: a `ChildProcess` or a node:cluster `Worker`. */
export interface HandleChannel {
  on(event: 'message', listener: (message: unknown, handle?: unknown) => void): unknown;
  once(event: 'exit', listener: () => void): unknown;
  send(message: unknown, handle: unknown, options: { keepOpen?: boolean }, callback: (err: Error | null) => void): boolean;
}

/** How long a child waits for its parent to answer; a parent that does not answer fails its start. */
const REQUEST_TIMEOUT_MS = 30_000;

function isListenMessage(message: unknown): message is ListenRequest {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'keygate:listen';
}

/** True in a child started with `LISTEN_HANDLES_ENV`, while its IPC channel is open. */
export function listenHandlesFromParent(): boolean {
  return processEnv()[LISTEN_HANDLES_ENV] === '1' && typeof process.send === 'function' && process.connected;
}

function keyOf(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

let nextRequest = 1;

/** Asks the parent for the socket of `host:port`; rejects with the parent's reason (`EADDRINUSE`). */
export function requestListenHandle(host: string, port: number): Promise<ListenHandle> {
  const id = nextRequest++;
  return new Promise<ListenHandle>((resolve, reject) => {
    const done = (error?: Error, handle?: ListenHandle) => {
      clearTimeout(timer);
      process.off('message', onMessage);
      if (handle) resolve(handle);
      else reject(error ?? new Error('no socket'));
    };
    const onMessage = (message: unknown, handle?: unknown) => {
      if (!isListenMessage(message) || message.id !== id) return;
      if (message.error || !handle) done(Object.assign(new Error(message.error ?? 'no socket'), { code: message.error }));
      else done(undefined, handle as ListenHandle);
    };
    const timer = setTimeout(() => done(new Error(`the parent process did not hand over ${keyOf(host, port)} within ${REQUEST_TIMEOUT_MS / 1000} s`)), REQUEST_TIMEOUT_MS);
    process.on('message', onMessage);
    process.send!({ type: 'keygate:listen', id, host, port } satisfies ListenRequest);
  });
}

/** node's own bind without listen (what node:cluster's primary does for `SCHED_NONE`). */
const createServerHandle = (net as unknown as { _createServerHandle: (address: string, port: number, addressType: number, fd?: number, flags?: number) => ListenHandle | number })._createServerHandle;

/**
 * Binds `host:port` in this process without accepting on it: the children that get it listen
 * and accept. The host is resolved as `server.listen` does (its first address).
 */
export async function bindListenHandle(host: string, port: number): Promise<ListenHandle> {
  // Internal to node (node:cluster relies on it); a node without it fails here, at start, by name.
  if (typeof createServerHandle !== 'function') throw new Error(`this Node.js (${process.version}) has no net._createServerHandle, which the all-in-one node binds its listeners with`);
  const { address, family } = net.isIP(host) ? { address: host, family: net.isIP(host) } : await lookup(host);
  const handle = createServerHandle(address, port, family);
  if (typeof handle === 'number') throw Object.assign(new Error(getSystemErrorName(handle)), { code: getSystemErrorName(handle) });
  // libuv keeps a bind's EADDRINUSE for `listen`, which happens in the child: a socket left
  // unbound there would be bound anew to 0.0.0.0 at a random port. Unbound here means refused.
  const bound: { port?: number } = {};
  (handle as { getsockname(out: object): number }).getsockname(bound);
  if (port !== 0 && bound.port !== port) {
    (handle as { close(): void }).close();
    throw Object.assign(new Error('EADDRINUSE'), { code: 'EADDRINUSE' });
  }
  return handle;
}

/**
 * The parent's side: answers its children's requests with a socket per `host:port`, obtained
 * once from `source` (bound here, or asked of this process's own parent, as the proxy role does
 * for its workers) and kept for the next child; a failure is not kept, the next request tries again.
 */
export class ListenHandles {
  readonly #handles = new Map<string, Promise<ListenHandle>>();
  /** What each live child asked for: a socket nobody uses any more can be closed (`closeUnused`). */
  readonly #used = new Map<HandleChannel, Set<string>>();

  constructor(private readonly source: (host: string, port: number) => Promise<ListenHandle>) {}

  /** Answers the requests `child` sends from now on. */
  serve(child: HandleChannel): void {
    const used = new Set<string>();
    this.#used.set(child, used);
    child.once('exit', () => this.#used.delete(child));
    child.on('message', (message) => {
      if (!isListenMessage(message) || message.error) return;
      const key = keyOf(message.host, message.port);
      used.add(key);
      // A child gone meanwhile: nothing to answer (the callback keeps that from being an error event).
      const ignore = () => undefined;
      void this.#get(key, message.host, message.port).then(
        (handle) => child.send({ ...message }, handle, { keepOpen: true }, ignore),
        (err: NodeJS.ErrnoException) => child.send({ ...message, error: err.code ?? err.message }, undefined, {}, ignore),
      );
    });
  }

  #get(key: string, host: string, port: number): Promise<ListenHandle> {
    let handle = this.#handles.get(key);
    if (!handle) {
      handle = this.source(host, port);
      this.#handles.set(key, handle);
      handle.catch(() => this.#handles.delete(key));
    }
    return handle;
  }

  /** Closes the sockets no live child asked for (a listener a reload removed). */
  async closeUnused(): Promise<void> {
    const used = new Set([...this.#used.values()].flatMap((keys) => [...keys]));
    await Promise.all([...this.#handles.keys()].filter((key) => !used.has(key)).map((key) => this.#close(key)));
  }

  async close(): Promise<void> {
    await Promise.all([...this.#handles.keys()].map((key) => this.#close(key)));
  }

  async #close(key: string): Promise<void> {
    const handle = this.#handles.get(key);
    this.#handles.delete(key);
    const held = await handle?.catch(() => undefined);
    (held as { close?: () => void } | undefined)?.close?.();
  }
}
