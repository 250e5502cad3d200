import { Option } from 'commander';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The prefix of an all-in-one node, laid out as Kong's where it fits: `pids/keygate.pid` (Kong:
 * `pids/nginx.pid`), `logs/keygate.log` (every role's JSON log lines and the supervisor's), plus
 * `node.json` (where each role's status is, for `health` and `reload`) and the generated
 * `keyring-cluster-secret` (mode 0600) when the configuration sets none.
 */
export interface NodeLayout {
  readonly prefix: string;
  readonly pidFile: string;
  readonly logFile: string;
  readonly stateFile: string;
  readonly secretFile: string;
}

export function nodeLayout(prefix: string): NodeLayout {
  const dir = resolve(prefix);
  return {
    prefix: dir,
    pidFile: join(dir, 'pids', 'keygate.pid'),
    logFile: join(dir, 'logs', 'keygate.log'),
    stateFile: join(dir, 'node.json'),
    secretFile: join(dir, 'keyring-cluster-secret'),
  };
}

export function createLayout(layout: NodeLayout): void {
  mkdirSync(join(layout.prefix, 'pids'), { recursive: true });
  mkdirSync(join(layout.prefix, 'logs'), { recursive: true });
}

/** A role of the running node as `node.json` records it. */
export interface RoleState {
  readonly name: string;
  readonly pid?: number;
  /** `http://127.0.0.1:<port>/status` of the role's own status listener. */
  readonly status_url?: string;
}

/** What the supervisor publishes in `node.json`; rewritten (atomically) on every change. */
export interface NodeState {
  readonly pid: number;
  /** The configuration file the node reads (again at each reload), if any. */
  readonly conf?: string;
  readonly ready: boolean;
  /** Counts finished reloads (successful or not); `keygate reload` waits for it to move. */
  readonly generation: number;
  readonly reload_error?: string;
  readonly roles: readonly RoleState[];
}

export function writeState(layout: NodeLayout, state: NodeState): void {
  const temp = `${layout.stateFile}.${process.pid}`;
  writeFileSync(temp, JSON.stringify(state, null, 2));
  renameSync(temp, layout.stateFile);
}

export function readState(layout: NodeLayout): NodeState | undefined {
  try {
    return JSON.parse(readFileSync(layout.stateFile, 'utf8')) as NodeState;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid of the node running with this prefix, or undefined (no pid file, or a stale one). */
export function runningPid(layout: NodeLayout): number | undefined {
  if (!existsSync(layout.pidFile)) return undefined;
  const pid = Number(readFileSync(layout.pidFile, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
}

export function isAlive(pid: number): boolean {
  return alive(pid);
}

export function removeRunFiles(layout: NodeLayout): void {
  rmSync(layout.pidFile, { force: true });
  rmSync(layout.stateFile, { force: true });
}

/** `-p, --prefix <dir>`, as Kong's. */
export function prefixOption(): Option {
  return new Option('-p, --prefix <dir>', 'the node\'s working directory (pid file, logs); default: the prefix setting, /usr/local/keygate');
}
