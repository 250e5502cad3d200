import { cpus, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';

export interface Measurement {
  readonly name: string;
  /** Operations per second, median of the rounds. */
  readonly opsPerSec: number;
}

/**
 * Runs `fn` in rounds of `iterations` after a warm-up and reports the median rate. The machines
 * are shared and noisy: compare only with a baseline measured in the same run.
 */
export async function measure(name: string, fn: () => unknown, options: { iterations?: number; rounds?: number } = {}): Promise<Measurement> {
  const iterations = options.iterations ?? 20_000;
  const rounds = options.rounds ?? 7;
  for (let i = 0; i < iterations / 4; i++) await fn();
  const rates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const started = performance.now();
    for (let i = 0; i < iterations; i++) await fn();
    rates.push(iterations / ((performance.now() - started) / 1000));
  }
  rates.sort((a, b) => a - b);
  return { name, opsPerSec: rates[Math.floor(rates.length / 2)] as number };
}

export function report(title: string, rows: ReadonlyArray<Measurement & { baseline?: Measurement }>): void {
  process.stdout.write(`\n${title}\n`);
  const width = Math.max(...rows.map((r) => r.name.length));
  for (const row of rows) {
    const ratio = row.baseline ? `  ratio ${(row.opsPerSec / row.baseline.opsPerSec).toFixed(2)} of "${row.baseline.name}"` : '';
    process.stdout.write(`  ${row.name.padEnd(width)}  ${Math.round(row.opsPerSec).toLocaleString('en-US').padStart(12)} ops/s${ratio}\n`);
  }
}

/** The machine a figure was read on: CPUs, memory, Node. */
export function machine(): string {
  return `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`;
}

/** Runs a benchmark's `main`; a failure prints its stack and exits 1 (never a half-printed success). */
export function runBench(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
