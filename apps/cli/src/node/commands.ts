import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError, VERSION } from '@keygate/runtime';
import type { Output } from '../output';
import { waitFor } from '../cluster/net';
import { loadValidated } from '../commands/config-check';
import { createLayout, isAlive, nodeLayout, readState, runningPid, type NodeLayout } from './layout';
import { NodeSupervisor, type Role } from './supervisor';

/** Options of `keygate start` (all-in-one); the command's parser may add more, passed through to the node. */
export interface NodeStartOptions {
  readonly conf?: string;
  readonly awsKmsSecretName?: string;
  readonly prefix?: string;
  readonly foreground?: boolean;
}

/** How long `keygate start` waits for the node to be ready before it gives up and stops it. */
const START_TIMEOUT_MS = 180_000;
const RELOAD_TIMEOUT_MS = 600_000;
const STOP_WAIT_MS = 10_000;

function roleMain(role: Role): string {
  try {
    return require.resolve(`@keygate/app-${role}`);
  } catch {
    throw new UsageError(`apps/${role} is not built; run npm run build first`);
  }
}

/** `-p` wins; otherwise the `prefix` setting (KONG_PREFIX, the file), default /usr/local/keygate. */
async function layoutFor(options: { conf?: string; prefix?: string }): Promise<NodeLayout> {
  if (options.prefix) return nodeLayout(options.prefix);
  const loaded = await loadValidated({ ...(options.conf ? { conf: options.conf } : {}), resolve: false });
  return nodeLayout(loaded.config.prefix);
}

/**
 * `keygate start [-c FILE] [-p PREFIX] [--foreground]`. In the foreground (also with
 * `nginx_daemon = off`) this process is the node's supervisor. Otherwise it re-runs itself with the
 * same arguments plus `--foreground`, detached, its output in `logs/keygate.log`, and returns once
 * the node is ready (exit 0) or has failed (exit 1, with the end of the log).
 */
export async function startAllInOne(options: NodeStartOptions, argv: readonly string[], out: Output): Promise<number> {
  const loaded = await loadValidated({ ...options, ...(options.prefix ? { overrides: { prefix: options.prefix } } : {}), resolve: false });
  const layout = nodeLayout(options.prefix ?? loaded.config.prefix);
  if (options.foreground || !loaded.config.nginx_daemon) {
    const code = await new NodeSupervisor({ ...(options.conf ? { conf: options.conf } : {}), ...(options.awsKmsSecretName ? { awsKmsSecretName: options.awsKmsSecretName } : {}), layout, main: roleMain }).run(out);
    return code;
  }
  const running = runningPid(layout);
  if (running !== undefined) {
    out.err(`Error: Keygate is already running in ${layout.prefix} (pid ${running})`);
    return 1;
  }
  createLayout(layout);
  const logOffset = sizeOf(layout.logFile);
  const log = openSync(layout.logFile, 'a');
  const child = spawn(process.execPath, [join(__dirname, '..', '..', 'bin', 'keygate.js'), ...argv, '--foreground'], { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code ?? 1));
  const ready = await waitFor(async () => exited !== undefined || (readState(layout)?.pid === child.pid && readState(layout)?.ready === true), START_TIMEOUT_MS, 250);
  child.unref();
  if (exited === undefined && ready) {
    out.log(`Keygate started (pid ${child.pid}; prefix ${layout.prefix}; log ${layout.logFile})`);
    return 0;
  }
  if (exited === undefined) {
    child.kill('SIGTERM');
    out.err(`Error: the node was not ready within ${START_TIMEOUT_MS / 1000} s; stopped it`);
  } else out.err(`Error: Keygate failed to start (exit ${exited})`);
  out.err(tail(layout.logFile, logOffset));
  return 1;
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** The last lines of what the node wrote since `offset`: where its error is. */
function tail(path: string, offset: number): string {
  const text = readFileSync(path, 'utf8').slice(offset);
  return text.trimEnd().split('\n').slice(-15).join('\n');
}

function notRunning(layout: NodeLayout, out: Output): number {
  out.err(`Error: Keygate is not running in ${layout.prefix}`);
  return 1;
}

/** Sends `signal`; true once the process exited within `waitMs`. */
async function signalAndWait(pid: number, signal: NodeJS.Signals, waitMs: number): Promise<boolean> {
  try {
    process.kill(pid, signal);
  } catch {
    return true;
  }
  return waitFor(async () => !isAlive(pid), waitMs, 100);
}

/** `keygate stop`: fast shutdown (roles get 5 s), then SIGKILL if the node still runs. */
export async function stopNode(options: { conf?: string; prefix?: string }, out: Output): Promise<number> {
  const layout = await layoutFor(options);
  const pid = runningPid(layout);
  if (pid === undefined) return notRunning(layout, out);
  if (!(await signalAndWait(pid, 'SIGTERM', STOP_WAIT_MS))) await signalAndWait(pid, 'SIGKILL', STOP_WAIT_MS);
  out.log('Keygate stopped');
  return 0;
}

/** `keygate quit [--timeout S]`: graceful (roles drain); after the timeout, a fast stop. */
export async function quitNode(options: { conf?: string; prefix?: string; timeout: number }, out: Output): Promise<number> {
  const layout = await layoutFor(options);
  const pid = runningPid(layout);
  if (pid === undefined) return notRunning(layout, out);
  if (await signalAndWait(pid, 'SIGQUIT', options.timeout * 1000)) {
    out.log('Keygate stopped (gracefully)');
    return 0;
  }
  out.log(`Keygate did not stop within ${options.timeout} s; stopping it now`);
  return stopNode(options, out);
}

/**
 * `keygate reload`: validates the configuration the node reads (the file it started with; `-c`
 * finds the prefix, as for the other commands), then asks the node to replace its roles one at a time.
 */
export async function reloadNode(options: { conf?: string; prefix?: string }, out: Output): Promise<number> {
  const layout = await layoutFor(options);
  const pid = runningPid(layout);
  const before = readState(layout);
  if (pid === undefined || !before) return notRunning(layout, out);
  const conf = before.conf ?? options.conf;
  await loadValidated({ ...(conf ? { conf } : {}), resolve: false });
  process.kill(pid, 'SIGHUP');
  const done = await waitFor(async () => (readState(layout)?.generation ?? -1) > before.generation || !isAlive(pid), RELOAD_TIMEOUT_MS, 250);
  const after = readState(layout);
  if (!done || !after) {
    out.err(`Error: the node did not finish reloading within ${RELOAD_TIMEOUT_MS / 1000} s (see ${layout.logFile})`);
    return 1;
  }
  if (after.reload_error) {
    out.err(`Error: reload failed, the node keeps running its previous configuration: ${after.reload_error}`);
    return 1;
  }
  out.log('Keygate reloaded');
  return 0;
}

/** `keygate health`: one line per role and exit 0 only when every role is ready. */
export async function healthNode(options: { conf?: string; prefix?: string }, out: Output): Promise<number> {
  const layout = await layoutFor(options);
  const pid = runningPid(layout);
  const state = readState(layout);
  if (pid === undefined) return notRunning(layout, out);
  let healthy = state?.ready === true;
  out.log(`${'keygate'.padEnd(16, '.')}running (pid ${pid})`);
  for (const role of state?.roles ?? []) {
    let line: string;
    try {
      const res = await fetch(`${role.status_url}/ready`, { signal: AbortSignal.timeout(3_000) });
      const body = (await res.json()) as { message?: string };
      line = res.status === 200 ? 'ready' : `not ready: ${body.message ?? res.status}`;
      if (res.status !== 200) healthy = false;
    } catch (err) {
      line = `not answering (${(err as Error).message})`;
      healthy = false;
    }
    out.log(`${role.name.padEnd(16, '.')}${line}`);
  }
  out.log('');
  if (healthy) out.log(`Keygate is healthy at ${layout.prefix}`);
  else out.err(`Keygate is not healthy at ${layout.prefix}`);
  return healthy ? 0 : 1;
}

/** `keygate restart`: a fast stop when the node runs, then `start` with the same options. */
export async function restartNode(options: NodeStartOptions, argv: readonly string[], out: Output): Promise<number> {
  const layout = await layoutFor(options);
  if (runningPid(layout) !== undefined) {
    const code = await stopNode(options, out);
    if (code !== 0) return code;
  }
  return startAllInOne(options, argv, out);
}

export function printVersion(out: Output): number {
  out.log(`Keygate ${VERSION}`);
  return 0;
}
