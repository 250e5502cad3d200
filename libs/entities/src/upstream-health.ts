import type { Queryable } from '@keygate/db';

/**
 * What a proxy node knows of one upstream's targets, as it publishes it for the Admin API (the
 * admin node balances no traffic, so `/upstreams/{u}/health` reads what proxies wrote). Rows
 * are read back as untrusted input: `parseHealthSnapshot` keeps only well-formed entries.
 */
export interface UpstreamHealthSnapshot {
  readonly checks: { readonly active: boolean; readonly passive: boolean };
  /** `host:port` of each target -> whether this node sends it traffic. */
  readonly addresses: Readonly<Record<string, { readonly healthy: boolean }>>;
}

export interface NodeHealth {
  readonly node_id: string;
  readonly updated_at: number;
  readonly snapshot: UpstreamHealthSnapshot;
}

/** A proxy refreshes its rows this often; older rows are of nodes that are gone. */
export const HEALTH_PUBLISH_INTERVAL_MS = 10_000;
export const HEALTH_STALE_AFTER_MS = 3 * HEALTH_PUBLISH_INTERVAL_MS;

/** The `ENTITY_CHANGES` entity name announcing a new manual health setting (`id` = the upstream). */
export const TARGET_HEALTH_ENTITY = 'target_health_overrides';

const ADDRESS = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):\d{1,5}$/;

export function parseHealthSnapshot(value: unknown): UpstreamHealthSnapshot | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const v = value as { checks?: { active?: unknown; passive?: unknown }; addresses?: unknown };
  if (typeof v.checks?.active !== 'boolean' || typeof v.checks.passive !== 'boolean') return undefined;
  if (!v.addresses || typeof v.addresses !== 'object') return undefined;
  const addresses: Record<string, { healthy: boolean }> = {};
  for (const [address, entry] of Object.entries(v.addresses as Record<string, unknown>)) {
    const healthy = (entry as { healthy?: unknown } | null)?.healthy;
    if (ADDRESS.test(address) && typeof healthy === 'boolean') addresses[address] = { healthy };
  }
  return { checks: { active: v.checks.active, passive: v.checks.passive }, addresses };
}

/** One proxy node's snapshots (upsert); `upstream_id`s that no longer exist are skipped by the foreign key. */
export async function writeUpstreamHealth(db: Queryable, nodeId: string, snapshots: ReadonlyMap<string, UpstreamHealthSnapshot>): Promise<void> {
  if (snapshots.size === 0) return;
  await db.query(
    `INSERT INTO upstream_health (node_id, upstream_id, snapshot, updated_at)
     SELECT $1, s.upstream_id, s.snapshot, now()
       FROM jsonb_to_recordset($2::jsonb) AS s(upstream_id uuid, snapshot jsonb)
      WHERE EXISTS (SELECT 1 FROM upstreams u WHERE u.id = s.upstream_id)
     ON CONFLICT (node_id, upstream_id) DO UPDATE SET snapshot = EXCLUDED.snapshot, updated_at = EXCLUDED.updated_at`,
    [nodeId, JSON.stringify([...snapshots].map(([upstream_id, snapshot]) => ({ upstream_id, snapshot })))],
  );
}

/** A node going away removes its rows (a crashed one's rows go stale instead). */
export async function removeUpstreamHealth(db: Queryable, nodeId: string): Promise<void> {
  await db.query('DELETE FROM upstream_health WHERE node_id = $1', [nodeId]);
}

/** The fresh snapshots of one upstream, one per proxy node. */
export async function readUpstreamHealth(db: Queryable, upstreamId: string): Promise<NodeHealth[]> {
  const { rows } = await db.query(
    `SELECT node_id, snapshot, updated_at FROM upstream_health WHERE upstream_id = $1 AND updated_at > now() - make_interval(secs => $2) ORDER BY node_id`,
    [upstreamId, HEALTH_STALE_AFTER_MS / 1000],
  );
  return rows.flatMap((row) => {
    const snapshot = parseHealthSnapshot(row.snapshot);
    return snapshot ? [{ node_id: String(row.node_id), updated_at: (row.updated_at as Date).getTime(), snapshot }] : [];
  });
}

export interface HealthOverride {
  readonly upstream_id: string;
  readonly address: string;
  readonly healthy: boolean;
  readonly set_at: number;
}

/** `PUT /upstreams/{u}/targets/{t}/healthy|unhealthy`: the latest setting per address wins. */
export async function setTargetHealth(db: Queryable, upstreamId: string, address: string, healthy: boolean): Promise<void> {
  await db.query(
    `INSERT INTO target_health_overrides (upstream_id, address, healthy, set_at) VALUES ($1, $2, $3, clock_timestamp())
     ON CONFLICT (upstream_id, address) DO UPDATE SET healthy = EXCLUDED.healthy, set_at = EXCLUDED.set_at`,
    [upstreamId, address, healthy],
  );
}

export async function readHealthOverrides(db: Queryable, upstreamIds?: readonly string[]): Promise<HealthOverride[]> {
  const { rows } = upstreamIds
    ? await db.query('SELECT upstream_id, address, healthy, set_at FROM target_health_overrides WHERE upstream_id = ANY($1::uuid[])', [upstreamIds])
    : await db.query('SELECT upstream_id, address, healthy, set_at FROM target_health_overrides');
  return rows.flatMap((row) =>
    typeof row.healthy === 'boolean' && typeof row.address === 'string' && ADDRESS.test(row.address)
      ? [{ upstream_id: String(row.upstream_id), address: row.address, healthy: row.healthy, set_at: (row.set_at as Date).getTime() }]
      : [],
  );
}
