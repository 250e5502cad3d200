import type { ReferenceHealth } from '../health';

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
