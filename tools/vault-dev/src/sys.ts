import { notFound, ok, type VaultReply } from './envelope';
import type { Namespace } from './namespace';

export const VERSION = '1.17.0+keygate-dev';

/** `GET /v1/sys/health`: unauthenticated; 200 when unsealed, 503 when "sealed" (unavailable). */
export function health(up: boolean, now: Date): VaultReply {
  return {
    status: up ? 200 : 503,
    body: {
      initialized: true,
      sealed: !up,
      standby: false,
      performance_standby: false,
      replication_performance_mode: 'disabled',
      replication_dr_mode: 'disabled',
      server_time_utc: Math.floor(now.getTime() / 1000),
      version: VERSION,
      cluster_name: 'keygate-vault-dev',
      cluster_id: '00000000-0000-0000-0000-000000000000',
    },
  };
}

export function sealStatus(up: boolean): VaultReply {
  return {
    status: 200,
    body: { type: 'shamir', initialized: true, sealed: !up, t: 1, n: 1, progress: 0, nonce: '', version: VERSION, build_date: '', migration: false, recovery_seal: false, storage_type: 'inmem' },
  };
}

function mountInfo(version: number): Record<string, unknown> {
  return { type: 'kv', description: '', options: { version: String(version) }, config: { default_lease_ttl: 0, max_lease_ttl: 0 }, local: false, seal_wrap: false };
}

/** `GET /v1/sys/mounts` */
export function mounts(namespace: Namespace): VaultReply {
  const data: Record<string, unknown> = {};
  for (const [path, engine] of namespace.mounts) data[`${path}/`] = mountInfo(engine.version);
  return ok({ data });
}

/** `GET /v1/sys/internal/ui/mounts/<path>`: how the vault CLI learns a mount's KV version. */
export function mountFor(namespace: Namespace, path: string): VaultReply {
  const resolved = namespace.resolve(path);
  if (!resolved) throw notFound();
  return ok({ data: { ...mountInfo(resolved.engine.version), path: `${resolved.mount}/` } });
}
