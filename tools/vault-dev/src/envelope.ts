import { randomUUID } from 'node:crypto';

/** An answer: status and JSON body (no body for 204). */
export interface VaultReply {
  readonly status: number;
  readonly body?: Record<string, unknown>;
}

/** An error answer, rendered as Vault does: `{"errors": [...]}`. */
export class VaultError extends Error {
  constructor(
    readonly status: number,
    readonly errors: readonly string[],
  ) {
    super(errors.join('; ') || `HTTP ${status}`);
    this.name = 'VaultError';
  }
}

export const permissionDenied = (): VaultError => new VaultError(403, ['permission denied']);
export const notFound = (): VaultError => new VaultError(404, []);
export const badRequest = (message: string): VaultError => new VaultError(400, [message]);

export interface EnvelopeFields {
  readonly data?: unknown;
  readonly auth?: unknown;
  readonly wrap_info?: unknown;
  readonly warnings?: readonly string[] | null;
  readonly lease_duration?: number;
  readonly renewable?: boolean;
  readonly mount_type?: string;
}

/** Every successful Vault answer carries the same envelope around its `data` or `auth`. */
export function envelope(fields: EnvelopeFields): Record<string, unknown> {
  return {
    request_id: randomUUID(),
    lease_id: '',
    renewable: fields.renewable ?? false,
    lease_duration: fields.lease_duration ?? 0,
    data: fields.data ?? null,
    wrap_info: fields.wrap_info ?? null,
    warnings: fields.warnings ?? null,
    auth: fields.auth ?? null,
    mount_type: fields.mount_type ?? '',
  };
}

export function ok(fields: EnvelopeFields, status = 200): VaultReply {
  return { status, body: envelope(fields) };
}

export const noContent = (): VaultReply => ({ status: 204 });

/** Vault prints times as RFC 3339 in UTC. */
export function vaultTime(date: Date): string {
  return date.toISOString();
}
