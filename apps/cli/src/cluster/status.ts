import type { Output } from '../output';
import { callControl, type ControlNode } from './control';
import { ClusterError } from './errors';

/** One row of `keygate cluster status`. */
export interface NodeStatus {
  readonly name: string;
  readonly app: string;
  readonly address: string;
  readonly ready: boolean | null;
  readonly node_id: string | null;
  readonly active_key: string | null;
  readonly keys: number | null;
  readonly state_version: number | null;
  readonly error?: string;
}

interface StatusBody {
  node_id?: string;
  ready?: boolean;
  keyring?: { active?: string | null; ids?: string[] };
  proxy?: { state?: { version?: number } };
}

async function nodeStatus(node: ControlNode): Promise<NodeStatus> {
  const base = { name: node.name, app: node.app, address: node.serves ?? node.statusUrl.replace(/\/status$/, '') };
  try {
    const res = await fetch(node.statusUrl, { signal: AbortSignal.timeout(2000) });
    const body = (await res.json()) as StatusBody;
    return {
      ...base,
      ready: body.ready ?? null,
      node_id: body.node_id ?? null,
      active_key: body.keyring?.active ?? null,
      keys: body.keyring?.ids?.length ?? null,
      state_version: body.proxy?.state?.version ?? null,
    };
  } catch (err) {
    return { ...base, ready: null, node_id: null, active_key: null, keys: null, state_version: null, error: (err as Error).message };
  }
}

export function formatStatus(rows: readonly NodeStatus[]): string[] {
  const table = [
    ['NODE', 'APP', 'ADDRESS', 'READY', 'ACTIVE KEY', 'KEYS', 'STATE VERSION', 'NODE ID'],
    ...rows.map((r) => [
      r.name,
      r.app,
      r.address,
      r.error ? 'down' : r.ready ? 'yes' : 'no',
      r.active_key ?? '-',
      r.keys === null ? '-' : String(r.keys),
      r.state_version === null ? '-' : String(r.state_version),
      r.node_id?.slice(0, 8) ?? '-',
    ]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const lines = table.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
  const keys = new Set(rows.filter((r) => r.active_key !== null).map((r) => r.active_key));
  const members = rows.filter((r) => r.keys !== null).length;
  lines.push('', keys.size === 1 ? `keyring: every member (${members}) has active key ${[...keys][0]}` : `keyring: members report ${keys.size === 0 ? 'no active key' : `different active keys: ${[...keys].join(', ')}`}`);
  return lines;
}

/** `keygate cluster status`: every node of the running cluster with its keyring and state. */
export async function clusterStatus(options: { stateDir: string; json?: boolean }, out: Output): Promise<number> {
  try {
    const { nodes } = await callControl(options.stateDir, 'GET', '/nodes');
    const rows = await Promise.all(nodes.map(nodeStatus));
    if (options.json) out.log(JSON.stringify(rows, null, 2));
    else for (const line of formatStatus(rows)) out.log(line);
    return rows.some((r) => r.error) ? 2 : 0;
  } catch (err) {
    if (!(err instanceof ClusterError)) throw err;
    out.err(`Error: ${err.message}`);
    return 1;
  }
}

/** `keygate cluster scale proxy=N`: starts or stops proxies of the running cluster. */
export async function clusterScale(options: { stateDir: string; target: string }, out: Output): Promise<number> {
  try {
    const match = /^proxy=(\d+)$/.exec(options.target);
    if (!match) throw new ClusterError(`expected proxy=N (for example proxy=5), got '${options.target}'`);
    const { nodes } = await callControl(options.stateDir, 'POST', '/scale', { proxies: Number(match[1]) });
    const proxies = nodes.filter((n) => n.app === 'proxy');
    out.log(`keygate: ${proxies.length} proxies run${proxies.length ? `: ${proxies.map((p) => `${p.name} ${p.serves ?? ''}`.trim()).join(', ')}` : ''}`);
    return 0;
  } catch (err) {
    if (!(err instanceof ClusterError)) throw err;
    out.err(`Error: ${err.message}`);
    return 1;
  }
}
