import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { prettyFactory } from 'pino-pretty';
import { ClusterError } from './errors';
import { waitFor } from './net';

export interface ChildSpec {
  /** Shown in front of its log lines: `admin`, `proxy-1`... */
  readonly name: string;
  readonly main: string;
  readonly args: readonly string[];
  readonly env: Record<string, string | undefined>;
  /** Where its status is; unset: the address the node reports once listening (`status_listen` port 0). */
  readonly statusUrl?: string;
  /** `json`: its log lines as they are (the all-in-one node's log); default: pretty, prefixed with the name. */
  readonly logFormat?: 'pretty' | 'json';
  /** Called with the process once spawned (the all-in-one node answers its requests for listen sockets). */
  readonly attach?: (child: ChildProcess) => void;
}

/** The level labels `libs/logging` writes (pino's, by name rather than number). */
const LEVELS = 'trace:10,debug:20,info:30,warn:40,error:50,fatal:60';

/**
 * The children's JSON log lines through pino-pretty, as `time name level: message (error)`;
 * the fields of a line stay in the JSON logs of the nodes (`hideObject`).
 */
export function logLineFormatter(name: string, colour: boolean): (line: string) => string {
  const label = name.padEnd(15);
  const pretty = prettyFactory({
    colorize: colour,
    translateTime: 'UTC:HH:MM:ss',
    customLevels: LEVELS,
    useOnlyCustomProps: false,
    ignore: 'pid,hostname,name',
    hideObject: true,
    customPrettifiers: {
      time: (time) => `${String(time)} ${label}`,
      level: (_level, _key, _log, { label: text, labelColorized }) => (colour ? labelColorized : text).toLowerCase(),
    },
    messageFormat: (log, messageKey) => {
      const err = log.err as { message?: string } | undefined;
      return `${String(log[messageKey] ?? '')}${err?.message ? ` (${err.message})` : ''}`;
    },
  });
  return (line) => {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return `${label} ${line}`;
    }
    if (typeof entry !== 'object' || entry === null) return `${label} ${line}`;
    return pretty(entry).replace(/\n$/, '');
  };
}

/** A node of the local cluster as a child process, its output prefixed with its name. */
export class ClusterChild {
  #process: ChildProcess | undefined;
  #exited: Promise<number | null> | undefined;
  #stopping = false;
  #statusUrl: string | undefined;

  constructor(
    readonly spec: ChildSpec,
    private readonly print: (line: string) => void,
    private readonly onUnexpectedExit: (child: ClusterChild, code: number | null) => void,
  ) {}

  get pid(): number | undefined {
    return this.#process?.pid;
  }

  /** `http://host:port/status` of this node, once known. */
  get statusUrl(): string | undefined {
    return this.#statusUrl ?? this.spec.statusUrl;
  }

  /** Resolves with the exit code once the process ended. */
  get exited(): Promise<number | null> {
    return this.#exited ?? Promise.resolve(null);
  }

  start(colour: boolean): void {
    // Own process group: Ctrl-C reaches the launcher only, which stops the nodes in order. The
    // IPC channel lets a node notice when the launcher is gone (even after SIGKILL) and stop.
    const child = spawn(process.execPath, [this.spec.main, ...this.spec.args], {
      env: this.spec.env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      detached: true,
    });
    this.#process = child;
    this.spec.attach?.(child);
    child.on('message', (message: { type?: string; urls?: string[] }) => {
      const url = message?.type === 'keygate:status' ? message.urls?.find((u) => u.startsWith('http:')) : undefined;
      if (url) this.#statusUrl = `${url}/status`;
    });
    const format = this.spec.logFormat === 'json' ? (line: string) => line : logLineFormatter(this.spec.name, colour);
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => this.print(format(line)));
    }
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        if (!this.#stopping) this.onUnexpectedExit(this, code ?? (signal ? 128 : null));
        resolve(code);
      });
    });
  }

  async waitReady(timeoutMs: number): Promise<void> {
    let exited = false;
    void this.#exited?.then(() => {
      exited = true;
    });
    const ready = await waitFor(async () => {
      if (exited) return true;
      try {
        if (!this.statusUrl) return false;
        const res = await fetch(`${this.statusUrl}/ready`, { signal: AbortSignal.timeout(1000) });
        return res.status === 200;
      } catch {
        return false;
      }
    }, timeoutMs, 250);
    if (exited) throw new ClusterError(`${this.spec.name} exited during start-up (see its log above)`);
    if (!ready) throw new ClusterError(`${this.spec.name} was not ready within ${timeoutMs / 1000} s (see its log above)`);
  }

  /** `signal` (SIGTERM; SIGQUIT: a successor takes over its listeners), then SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    this.#stopping = true;
    const child = this.#process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.kill(signal);
    await this.#exited;
    clearTimeout(timer);
  }
}
