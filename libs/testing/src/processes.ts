import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { processEnv } from '@keygate/config';
import { REPO_ROOT, staleBuilds, TEST_LOG_DIR } from './paths';

export type AppName = 'admin' | 'proxy' | 'vault-resolver' | 'keyring-broker';

export interface ExitResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const checkedBuilds = new Set<string>();

function assertBuildFresh(app: string): void {
  if (checkedBuilds.has(app)) return;
  const stale = staleBuilds(app);
  if (stale.length > 0) {
    throw new Error(`the build is older than its sources (${stale.join(', ')}); run \`npm run build\` (npm test does)`);
  }
  checkedBuilds.add(app);
}

/** A clean environment: nothing from the developer's shell (KONG_*, AWS_*) leaks into tests. */
export function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env = processEnv();
  return { PATH: env.PATH ?? '/usr/bin:/bin', HOME: env.HOME ?? '/tmp', ...extra };
}

/**
 * A spawned Node process whose output is captured line by line (and written to
 * tmp/test-logs for the suite-wide secret scan).
 */
export class ManagedProcess {
  readonly lines: string[] = [];
  readonly exited: Promise<ExitResult>;
  readonly #child: ChildProcess;
  readonly #log: WriteStream;
  readonly #waiters: Array<{ test: (line: string) => boolean; resolve: (line: string) => void }> = [];

  constructor(label: string, script: string, args: readonly string[], env: Record<string, string>) {
    mkdirSync(TEST_LOG_DIR, { recursive: true });
    this.#child = spawn(process.execPath, [script, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#log = createWriteStream(join(TEST_LOG_DIR, `${label}-${this.#child.pid}.log`));
    for (const stream of [this.#child.stdout!, this.#child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => this.#onLine(line));
    }
    this.exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => {
        setImmediate(() => {
          this.#log.end();
          resolve({ code, signal });
        });
      });
    });
  }

  get pid(): number {
    return this.#child.pid!;
  }

  get output(): string {
    return this.lines.join('\n');
  }

  /** Resolves with the first line (already seen or future) that passes `test`. */
  waitForLine(test: (line: string) => boolean, timeoutMs = 20_000, what = 'a log line'): Promise<string> {
    const seen = this.lines.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; output:\n${this.output.slice(-4000)}`)), timeoutMs);
      const waiter = {
        test,
        resolve: (line: string) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      this.#waiters.push(waiter);
      void this.exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`process exited while waiting for ${what}; output:\n${this.output.slice(-4000)}`));
      });
    });
  }

  signal(signal: NodeJS.Signals): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill(signal);
  }

  /** SIGTERM, and SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 10_000): Promise<ExitResult> {
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }

  #onLine(line: string): void {
    this.lines.push(line);
    this.#log.write(`${line}\n`);
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const waiter = this.#waiters[i]!;
      if (waiter.test(line)) {
        this.#waiters.splice(i, 1);
        waiter.resolve(line);
      }
    }
  }
}

export interface StartAppOptions {
  /** `KONG_*` settings on top of the defaults (every listener on 127.0.0.1:0). */
  readonly env?: Record<string, string>;
  readonly args?: readonly string[];
  /** Wait until `/status/ready` answers 200 (default true). */
  readonly waitReady?: boolean;
  readonly timeoutMs?: number;
}

/** A Keygate node started from its build, on free ports it reports in its log. */
export class AppProcess extends ManagedProcess {
  readonly ports = new Map<string, number>();

  private constructor(readonly app: AppName, env: Record<string, string>, args: readonly string[]) {
    super(app, join(REPO_ROOT, 'apps', app, 'dist', 'main.js'), args, env);
  }

  static async start(app: AppName, options: StartAppOptions = {}): Promise<AppProcess> {
    assertBuildFresh(app);
    const env = baseEnv({
      KONG_ADMIN_LISTEN: '127.0.0.1:0',
      KONG_PROXY_LISTEN: '127.0.0.1:0',
      KONG_STATUS_LISTEN: '127.0.0.1:0',
      KONG_LOG_LEVEL: 'debug',
      ...options.env,
    });
    const proc = new AppProcess(app, env, options.args ?? []);
    if (options.waitReady ?? true) {
      // A node that never gets ready must not outlive the test that started it.
      await proc.ready(options.timeoutMs).catch(async (err: unknown) => {
        await proc.stop(2_000);
        throw err;
      });
    }
    return proc;
  }

  /** Waits for the status listener, then for `/status/ready` to answer 200. */
  async ready(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await this.waitForLine((line) => line.includes('"msg":"status listening'), timeoutMs, 'the status listener');
    for (;;) {
      try {
        const res = await fetch(`${this.url('status')}/status/ready`, { signal: AbortSignal.timeout(2000) });
        if (res.status === 200) {
          // Output arrives after the HTTP answer may: the "started" line follows every listener line.
          await this.waitForLine((line) => line.includes(`"msg":"${this.app} started"`), Math.max(1000, deadline - Date.now()), 'the started line');
          return;
        }
      } catch {
        // not yet
      }
      if (Date.now() > deadline) throw new Error(`${this.app} not ready within ${timeoutMs} ms; output:\n${this.output.slice(-4000)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * `http://127.0.0.1:<port>` of a listener (`admin`, `proxy`, `status`, `admin_gui`), or with
   * `{ tls: true }` `https://...` of its first `ssl` entry.
   */
  url(listener: 'admin' | 'proxy' | 'status' | 'admin_gui' = 'admin', options: { tls?: boolean } = {}): string {
    const tls = options.tls ?? false;
    const line = this.lines.find((l) => l.includes(`"listener":"${listener}"`) && l.includes('listening on') && l.includes('"tls":true') === tls);
    if (!line) throw new Error(`${this.app} has not reported a ${tls ? 'TLS ' : ''}${listener} listener`);
    const { address, port } = JSON.parse(line) as { address: string; port: number };
    return `${tls ? 'https' : 'http'}://${address}:${port}`;
  }
}

/** Runs `keygate <args>` from the build and collects its output. */
export async function runCli(
  args: readonly string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  assertBuildFresh('cli');
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'keygate'), ...args], {
    cwd: REPO_ROOT,
    env: baseEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}
