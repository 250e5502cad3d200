/**
 * A keyring operation (or another change without an entity row) to record in the audit log.
 * Ids and counts only: never key material, tokens or resolved secret values.
 */
export interface AuditEvent {
  /** What was touched, as `dao_name` in `/audit/objects` (e.g. `keyring`). */
  readonly subject: string;
  /** `generate`, `activate`, `import`, `remove`, `recover`, `reencrypt-start`, `reencrypt-finish`, `vault-sync`, ... */
  readonly operation: string;
  /** The id concerned (a key id, a run id), if any. */
  readonly entityKey?: string;
  /** Non-secret facts (ids, states, counts). */
  readonly details?: Readonly<Record<string, string | number | boolean | readonly string[] | null>>;
}

/**
 * Where features record what they did. Implemented by `libs/admin-auth` (a hash-chained table);
 * passed in by an app's composition root. `record` never throws: a failure to record is logged.
 */
export interface AuditTrail {
  record(event: AuditEvent): Promise<void>;
}

/** For nodes with `audit_log = off`. */
export const noAudit: AuditTrail = { record: async () => undefined };
