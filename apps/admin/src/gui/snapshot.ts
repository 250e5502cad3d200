import { describeRun, type KeyringService, type MemberView, type RunView } from '@keygate/keyring';

/** A member row as the page shows it. */
export interface NodeRow extends MemberView {
  readonly uptime_seconds: number | null;
  /** Holds and uses the key this admin node applied as active. */
  readonly converged: boolean;
}

/** The re-encryption run as the progress bar needs it (counts and ids, never values). */
export interface ProgressView {
  readonly id: string;
  readonly state: RunView['state'];
  readonly target_key_id: string;
  readonly percent: number;
  readonly scanned: number;
  readonly total: number;
  readonly rows_per_second: number | null;
  readonly seconds_left: number | null;
  readonly errors_total: number;
}

export interface ClusterSnapshot {
  readonly generated_at: number;
  readonly admin_node_id: string;
  readonly keyring: { readonly enabled: boolean; readonly strategy: string; readonly active: string | null; readonly ids: readonly string[] };
  readonly nodes: readonly NodeRow[];
  readonly reencrypt: ProgressView | null;
}

/** Reads the cluster's state for the page: the keyring's read-only view and the latest run. */
export async function clusterSnapshot(keyring: KeyringService, adminNodeId: string): Promise<ClusterSnapshot> {
  const active = keyring.keyring.activeId ?? null;
  const view = keyring.clusterView();
  const now = Date.now();
  const members = view ? await view.members() : [];
  return {
    generated_at: now,
    admin_node_id: adminNodeId,
    keyring: { enabled: keyring.settings.enabled, strategy: keyring.settings.strategy, active, ids: keyring.keyring.ids() },
    nodes: members.map((m) => ({ ...m, uptime_seconds: m.started_at === null ? null : Math.max(0, Math.round((now - m.started_at) / 1000)), converged: active !== null && m.active === active })),
    reencrypt: await progress(keyring),
  };
}

async function progress(keyring: KeyringService): Promise<ProgressView | null> {
  if (!keyring.settings.enabled || keyring.settings.strategy !== 'cluster') return null;
  const run = await keyring.runs.latest();
  if (!run) return null;
  const v = describeRun(run, null);
  const left = Math.max(0, v.total - v.scanned);
  const running = v.state === 'running' || v.state === 'queued';
  return {
    id: v.id,
    state: v.state,
    target_key_id: v.target_key_id,
    percent: v.percent,
    scanned: v.scanned,
    total: v.total,
    rows_per_second: v.rows_per_second,
    seconds_left: running && v.rows_per_second ? Math.ceil(left / v.rows_per_second) : running ? null : 0,
    errors_total: v.errors_total,
  };
}
