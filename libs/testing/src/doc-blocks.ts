import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Doc-tests: the walkthroughs in README.md and docs/*.md mark the blocks a user copies with the
 * info string ```sh runnable (GitHub renders them as ordinary `sh` blocks). A block may be
 * followed (only blank lines between) by a ```text output block: what the commands print. Every
 * non-blank line of it must appear, in order, within a line of what the block printed; `...`
 * stands for any text. Addresses come from variables the walkthrough defines with its default,
 * `ADMIN=${ADMIN:-http://127.0.0.1:8001}`, which the test sets to the cluster it started.
 * ```sh docker runnable blocks are the same steps with Docker (the image, `docker compose`); the
 * walkthrough doc-tests skip them and `npm run test:compose` runs them (`{ docker: true }`).
 * Used by the doc-tests (tests/integration/src/docs) and by tools/compose/test.js.
 */
export interface RunnableBlock {
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly code: string;
  readonly expected?: string;
}

const FENCE = /^( *)(`{3,})\s*([^`]*)$/;

export function runnableBlocks(markdown: string, file: string, options: { docker?: boolean } = {}): RunnableBlock[] {
  const lines = markdown.split('\n');
  const blocks: Array<{ info: string; line: number; body: string; end: number }> = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const [, indent, ticks, info] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = new RegExp(`^ *${ticks}\\s*$`).exec(lines[j]!);
      if (close) break;
      body.push(lines[j]!.startsWith(indent!) ? lines[j]!.slice(indent!.length) : lines[j]!.trimStart());
    }
    blocks.push({ info: info!.trim(), line: i + 1, body: body.join('\n'), end: j });
    i = j;
  }
  const out: RunnableBlock[] = [];
  blocks.forEach((block, k) => {
    const words = block.info.split(/\s+/);
    if (words[0] !== 'sh' || !words.includes('runnable') || words.includes('docker') !== (options.docker ?? false)) return;
    const next = blocks[k + 1];
    const between = next ? lines.slice(block.end + 1, next.line - 1) : [];
    const follows = next && next.info.split(/\s+/)[0] === 'text' && next.info.split(/\s+/).includes('output') && between.every((l) => l.trim() === '');
    out.push({ file, line: block.line, code: block.body, ...(follows ? { expected: next.body } : {}) });
  });
  return out;
}

/** Why `actual` does not show `expected` (see runnableBlocks), or undefined when it does. */
export function outputMismatch(expected: string, actual: string): string | undefined {
  const actualLines = actual.split('\n');
  let from = 0;
  for (const want of expected.split('\n').map((l) => l.trim()).filter((l) => l !== '')) {
    const pattern = new RegExp(want.split('...').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*'));
    const at = actualLines.findIndex((line, i) => i >= from && pattern.test(line));
    if (at < 0) return `expected a line matching ${JSON.stringify(want)} after line ${from + 1} of the output`;
    from = at + 1;
  }
  return undefined;
}

export interface SessionResult {
  readonly code: number | null;
  /** Output (stdout and stderr) of each block, in order; shorter than the blocks when one failed. */
  readonly outputs: string[];
  readonly transcript: string;
}

const MARK = '::doc-block::';

/**
 * Runs the blocks in one bash session (`set -eo pipefail`, so a failing command fails the
 * walkthrough), in `workDir`, with `env`. `npm start [-- ARGS]` in a block runs
 * `./bin/keygate cluster up --proxies 2 ARGS` in the background, as a user runs it in another
 * terminal, and returns once it printed that the cluster is up; a second one stops the first
 * (Ctrl-C) before it starts. `prelude`: more shell lines after these. Everything the session started
 * is stopped afterwards: SIGTERM to its process group (the clusters stop their nodes), then SIGKILL.
 */
export async function runSession(
  blocks: readonly RunnableBlock[],
  options: { workDir: string; env: Record<string, string | undefined>; logDir: string; label: string; timeoutMs: number; prelude?: readonly string[] },
): Promise<SessionResult> {
  mkdirSync(options.logDir, { recursive: true });
  const preamble = [
    'set -eo pipefail',
    `DOCTEST_LOGS=${shellQuote(options.logDir)}`,
    'npm() {',
    '  if [ "$1" != start ]; then command npm "$@"; return; fi',
    '  shift; [ "$1" = -- ] && shift',
    // A second `npm start` is the user's Ctrl-C and start again.
    '  if [ -n "$DOCTEST_CLUSTER" ]; then kill -INT $DOCTEST_CLUSTER; wait $DOCTEST_CLUSTER || true; fi',
    '  local log="$DOCTEST_LOGS/cluster-$RANDOM.log"; : > "$log"',
    '  ./bin/keygate cluster up --proxies 2 "$@" > "$log" 2>&1 &',
    '  DOCTEST_CLUSTER=$!',
    '  local pid=$! waited=0',
    '  until grep -q "Press Ctrl-C to stop" "$log"; do',
    '    if ! kill -0 $pid 2>/dev/null || [ $waited -gt 1800 ]; then cat "$log"; echo "npm start did not come up"; return 1; fi',
    '    sleep 0.1; waited=$((waited + 1))',
    '  done',
    '  echo "npm start: the cluster is up (log $log)"',
    '}',
    ...(options.prelude ?? []),
  ];
  const script = [...preamble, ...blocks.flatMap((b, i) => [`echo ${MARK}${i}`, b.code])].join('\n');
  const scriptPath = join(options.workDir, `${options.label}.sh`);
  writeFileSync(scriptPath, `${script}\necho ${MARK}end\n`);
  const child = spawn('bash', [scriptPath], { cwd: options.workDir, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(join(options.logDir, `${options.label}-session.log`));
  let transcript = '';
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk: Buffer) => {
      transcript += chunk.toString();
      log.write(chunk);
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const timer = setTimeout(() => killGroup(child.pid!, 'SIGKILL'), options.timeoutMs);
  const code = await exited;
  clearTimeout(timer);
  // Background jobs of the session (clusters, emulators) share its process group.
  killGroup(child.pid!, 'SIGTERM');
  for (let i = 0; i < 300 && groupAlive(child.pid!); i++) await new Promise((r) => setTimeout(r, 100));
  killGroup(child.pid!, 'SIGKILL');
  log.end();
  const parts = transcript.split(new RegExp(`^${MARK}`, 'm')).slice(1);
  const outputs = parts.filter((p) => !p.startsWith('end')).map((p) => p.replace(/^\d+\n/, ''));
  return { code, outputs, transcript };
}

/** What went wrong in a session, one entry per failed block or missing output; empty when it passed. */
export function sessionFailures(steps: readonly RunnableBlock[], result: SessionResult): string[] {
  const failures: string[] = [];
  steps.forEach((block, i) => {
    const output = result.outputs[i];
    if (output === undefined) return;
    const where = `${block.file}:${block.line}`;
    if (i === result.outputs.length - 1 && result.code !== 0) {
      failures.push(`${where}: the block failed (exit ${result.code}):\n${block.code}\n--- output:\n${output.slice(-3000)}`);
    } else if (block.expected !== undefined) {
      const why = outputMismatch(block.expected, output);
      if (why) failures.push(`${where}: ${why}\n${block.code}\n--- output:\n${output.slice(-3000)}`);
    }
  });
  if (result.code !== 0 && failures.length === 0) failures.push(`the session exited ${result.code}:\n${result.transcript.slice(-3000)}`);
  if (result.code === 0 && result.outputs.length !== steps.length) failures.push(`only ${result.outputs.length} of ${steps.length} blocks ran`);
  return failures;
}

/** A fresh directory that looks like the repository root to a walkthrough (its entries linked in). */
export function cloneLikeDir(root: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'keygate-doc-'));
  for (const entry of readdirSync(root)) {
    if (['.git', '.keygate', 'tmp'].includes(entry)) continue;
    symlinkSync(join(root, entry), join(dir, entry));
  }
  return dir;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function readDoc(root: string, file: string): string {
  return readFileSync(join(root, file), 'utf8');
}
