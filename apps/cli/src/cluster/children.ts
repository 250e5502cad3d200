import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ClusterError } from './errors';
import { waitFor } from './net';

export interface ChildSpec {
  /** Shown in front of its log lines: `admin`, `proxy-1`... */
  readonly name: string;
  readonly main: string;
  readonly args: readonly string[];
  readonly env: Record<string, string | undefined>;
  readonly statusUrl: string;
}

const LEVEL_COLOURS: Record<string, string> = { debug: '90', info: '32', warn: '33', error: '31', fatal: '35' };

/** One JSON log line of a child, shown as `time name level message (details)`. */
export function formatLogLine(name: string, line: string, colour: boolean): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return `${name.padEnd(15)} ${line}`;
  }
  const level = String(entry.level ?? 'info');
  const time = typeof entry.time === 'string' ? entry.time.slice(11, 19) : '';
  const err = entry.err as { message?: string } | undefined;
  const detail = err?.message ? ` (${err.message})` : '';
  const tag = colour ? `\u001b[${LEVEL_COLOURS[level] ?? '0'}m${level.padEnd(5)}\u001b[0m` : level.padEnd(5);
  return `${time} ${name.padEnd(15)} ${tag} ${String(entry.msg ?? '')}${detail}`;
}

/** A node of the local cluster as a child process, its output prefixed with its name. */
export class ClusterChild {
  #process: ChildProcess | undefined;
  #exited: Promise<number | null> | undefined;
  #stopping = false;

  constructor(
    readonly spec: ChildSpec,
    private readonly print: (line: string) => void,
    private readonly onUnexpectedExit: (child: ClusterChild, code: number | null) => void,
  ) {}

  get pid(): number | undefined {
    return this.#process?.pid;
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
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => this.print(formatLogLine(this.spec.name, line, colour)));
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
        const res = await fetch(`${this.spec.statusUrl}/ready`, { signal: AbortSignal.timeout(1000) });
        return res.status === 200;
      } catch {
        return false;
      }
    }, timeoutMs, 250);
    if (exited) throw new ClusterError(`${this.spec.name} exited during start-up (see its log above)`);
    if (!ready) throw new ClusterError(`${this.spec.name} was not ready within ${timeoutMs / 1000} s (see its log above)`);
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    this.#stopping = true;
    const child = this.#process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.kill('SIGTERM');
    await this.#exited;
    clearTimeout(timer);
  }
}
