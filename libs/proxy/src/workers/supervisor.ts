import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '@keygate/logging';
import { backoffDelay } from '@keygate/net';
import { isFromWorker, type FromWorker, type ToWorker, type WorkerInit } from './protocol';

export interface SupervisorOptions {
  /** How many workers (`proxy_workers`). */
  readonly count: number;
  /** The worker's entry script. */
  readonly exec: string;
  readonly logger: Logger;
  /** The init message of a worker being started: built when it starts, so it carries the current state. */
  readonly init: (index: number) => WorkerInit;
  /** Messages of a worker the supervisor does not handle itself (passive health reports). */
  readonly onMessage?: (message: FromWorker, index: number) => void;
  /** How long `stop()` lets a worker drain before killing it. */
  readonly stopTimeoutMs?: number;
  /** Called with each worker as it is forked, before its init message (its listen sockets' source, under a node that keeps them). */
  readonly onFork?: (worker: Worker) => void;
}

interface Slot {
  readonly index: number;
  worker: Worker;
  ready: boolean;
  version: number;
  startedAt: number;
  restarts: number;
}

export interface WorkerStatus {
  readonly index: number;
  readonly pid: number | undefined;
  readonly ready: boolean;
  readonly state_version: number;
  readonly restarts: number;
}

/**
 * The node's worker processes (node:cluster, sharing the listen sockets): started with the
 * current state, sent every change in order, restarted with backoff when one dies, drained on
 * stop. Workers never touch the database; this process is their only source of state.
 */
export class WorkerSupervisor {
  readonly #slots = new Map<number, Slot>();
  readonly #pending = new Map<number, { replies: unknown[][]; expected: number; done: () => void }>();
  #nextRequest = 1;
  #stopping = false;
  #bound: ReadonlyArray<{ host: string; port: number; tls?: boolean }> = [];

  constructor(private readonly options: SupervisorOptions) {}

  get bound(): ReadonlyArray<{ host: string; port: number; tls?: boolean }> {
    return this.#bound;
  }

  /** Starts every worker; resolves when all listen with their state, rejects when one cannot. */
  async start(): Promise<ReadonlyArray<{ host: string; port: number; tls?: boolean }>> {
    cluster.setupPrimary({ exec: this.options.exec, args: [], silent: false });
    await Promise.all(Array.from({ length: this.options.count }, (_, index) => this.#fork(index, 0)));
    return this.#bound;
  }

  broadcast(message: ToWorker): void {
    for (const slot of this.#slots.values()) this.#send(slot.worker, message);
  }

  status(): WorkerStatus[] {
    return [...this.#slots.values()].map((s) => ({ index: s.index, pid: s.worker.process.pid, ready: s.ready, state_version: s.version, restarts: s.restarts }));
  }

  /** Every ready worker's metrics (`registry.getMetricsAsJSON()`), waiting at most `timeoutMs`. */
  async metrics(timeoutMs = 1000): Promise<unknown[][]> {
    const ready = [...this.#slots.values()].filter((s) => s.ready);
    if (ready.length === 0) return [];
    const id = this.#nextRequest++;
    const replies: unknown[][] = [];
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.#pending.set(id, {
        replies,
        expected: ready.length,
        done: () => {
          clearTimeout(timer);
          resolve();
        },
      });
      for (const slot of ready) this.#send(slot.worker, { t: 'metrics', id });
    });
    this.#pending.delete(id);
    return replies;
  }

  /** Drains every worker (they stop accepting, finish what is in flight), then kills stragglers. */
  async stop(options: { handover?: boolean } = {}): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    await Promise.all(
      [...this.#slots.values()].map(
        ({ worker }) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            const timer = setTimeout(() => worker.process.kill('SIGKILL'), this.options.stopTimeoutMs ?? 8000);
            worker.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            this.#send(worker, { t: 'stop', ...(options.handover ? { handover: true } : {}) });
          }),
      ),
    );
  }

  #fork(index: number, restarts: number): Promise<void> {
    const worker = cluster.fork();
    this.options.onFork?.(worker);
    const slot: Slot = { index, worker, ready: false, version: 0, startedAt: Date.now(), restarts };
    this.#slots.set(index, slot);
    const init = this.options.init(index);
    slot.version = 0;
    this.#send(worker, init);
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      worker.on('message', (message: unknown) => {
        if (!isFromWorker(message)) return;
        if (message.t === 'ready') {
          slot.ready = true;
          slot.version = init.snapshot.version > slot.version ? init.snapshot.version : slot.version;
          this.#bound = message.bound;
          if (!settled) {
            settled = true;
            resolve();
          }
        } else if (message.t === 'failed' && !settled) {
          settled = true;
          reject(new Error(message.message));
        } else {
          this.#onMessage(slot, message);
        }
      });
      worker.once('exit', (code, signal) => {
        slot.ready = false;
        if (!settled) {
          settled = true;
          reject(new Error(`proxy worker ${index} exited during start (code ${code ?? signal})`));
          return;
        }
        if (this.#stopping || this.#slots.get(index) !== slot) return;
        // A crash: replace the worker; back off if it keeps crashing soon after starting.
        const quick = Date.now() - slot.startedAt < 30_000;
        const delay = quick ? backoffDelay(slot.restarts, { initialMs: 100, maxMs: 5000 }) : 100;
        this.options.logger.error({ worker: index, pid: worker.process.pid, code, signal, restart_in_ms: delay }, 'proxy: worker exited; starting a new one');
        setTimeout(() => {
          if (this.#stopping) return;
          this.#fork(index, slot.restarts + 1).catch((err: unknown) => this.options.logger.error({ err, worker: index }, 'proxy: a replacement worker failed to start'));
        }, delay).unref();
      });
    });
  }

  #onMessage(slot: Slot, message: FromWorker): void {
    if (message.t === 'passive') this.options.onMessage?.(message, slot.index);
    else if (message.t === 'applied') slot.version = Math.max(slot.version, message.version);
    else if (message.t === 'metrics') {
      const pending = this.#pending.get(message.id);
      if (!pending) return;
      pending.replies.push(message.metrics);
      if (pending.replies.length >= pending.expected) pending.done();
    }
  }

  #send(worker: Worker, message: ToWorker): void {
    if (worker.isDead() || !worker.isConnected()) return;
    worker.send(message, (err: Error | null) => {
      if (err && !this.#stopping) this.options.logger.warn({ err, pid: worker.process.pid }, 'proxy: could not send to a worker');
    });
  }
}
