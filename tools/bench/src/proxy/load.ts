import { spawn, spawnSync } from 'node:child_process';

export interface LoadResult {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
}

export interface LoadOptions {
  readonly url: string;
  readonly headers?: Record<string, string>;
  readonly connections: number;
  readonly threads: number;
  readonly durationSec: number;
}

export function loadTool(): 'wrk' | 'autocannon' {
  return spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error ? 'autocannon' : 'wrk';
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} exited ${code}:\n${out}`))));
  });
}

const toMs = (value: string, unit: string) => Number(value) * ({ us: 0.001, ms: 1, s: 1000 }[unit] ?? 1);

/** Debian's wrk when installed (`apt-get install wrk`), else autocannon through npx. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const headerArgs = Object.entries(options.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
  if (loadTool() === 'wrk') {
    const out = await run('wrk', ['-t', String(options.threads), '-c', String(options.connections), '-d', `${options.durationSec}s`, '--latency', ...headerArgs, options.url]);
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
    const pct = (p: string) => {
      const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
      return m ? toMs(m[1]!, m[2]!) : NaN;
    };
    const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
    const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)?.slice(1).reduce((n, v) => n + Number(v), 0) ?? 0;
    return { rps, p50Ms: pct('50'), p99Ms: pct('99'), non2xx, errors };
  }
  const out = await run('npx', ['--yes', 'autocannon', '-j', '-c', String(options.connections), '-d', String(options.durationSec), ...headerArgs, options.url]);
  const json = JSON.parse(out.slice(out.indexOf('{'))) as { requests: { average: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number };
  return { rps: json.requests.average, p50Ms: json.latency.p50, p99Ms: json.latency.p99, non2xx: json.non2xx, errors: json.errors };
}
