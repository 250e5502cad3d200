/** The vault-resolver's internal API, shared by its server and its client. */
export const RESOLVE_PATH = '/v1/resolve';
export const MAX_REFERENCES_PER_REQUEST = 100;
export const MAX_BODY_BYTES = 256 * 1024;

export interface ResolveRequest {
  readonly references: readonly string[];
}

export type ResolveResult =
  | { readonly value: string; readonly stale: boolean; readonly expires_at: number | null }
  | { readonly error: { readonly code: string; readonly message: string } };

export interface ResolveResponse {
  readonly results: Readonly<Record<string, ResolveResult>>;
}

/** `GET`, signed like `/v1/resolve`: the health of each reference nodes asked for (never values). */
export const HEALTH_PATH = '/v1/health';

export interface HealthResponse {
  readonly generated_at: number;
  readonly references: readonly ReferenceHealth[];
}

/** One reference nodes asked for, as the cluster page shows it: where it resolves and how it fares; never its value. */
export interface ReferenceHealth {
  /** The reference as asked for; values of secret options in its query (`?token=`) are `[REDACTED]`. */
  readonly reference: string;
  /** `env`, `aws`, `hcv`; null when the reference could not be bound (invalid, unknown prefix). */
  readonly backend: string | null;
  readonly vault_prefix: string | null;
  /** The resolver holds a value for it (fresh, or stale within `resurrect_ttl`). */
  readonly cached: boolean;
  /** Last successful backend read (ms since the epoch). */
  readonly refreshed_at: number | null;
  /** When the value is read again (null: `ttl = 0`, never). */
  readonly expires_at: number | null;
  /** The last lookup failed (no value to hand out). */
  readonly failing: boolean;
  /** The last lookup was served past its TTL because the backend failed. */
  readonly stale: boolean;
  readonly stale_served: number;
  readonly last_used_at: number;
  readonly last_error: { readonly code: string; readonly message: string; readonly at: number } | null;
}
