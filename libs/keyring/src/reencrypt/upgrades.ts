import type { FieldFormat } from '@keygate/crypto';
import type { Logger } from '@keygate/logging';

/** A value read in a legacy format (accepted by policy) and rewritten as `$ke$2$`. */
export interface LegacyUpgrade {
  readonly id: string;
  readonly field: string;
  readonly format: FieldFormat;
}

/**
 * The audit trail of a migration: every row whose legacy value a batch upgraded, by format
 * (ids and fields only, never values). At warn: outside a planned migration from Kong or from a
 * keyring-less database, an upgrade means someone wrote such a value.
 */
export function logUpgrades(logger: Logger, table: string, target: string, upgrades: readonly LegacyUpgrade[]): void {
  for (const format of ['kong-v1', 'plaintext'] as const) {
    const rows = upgrades.filter((u) => u.format === format);
    if (rows.length === 0) continue;
    logger.warn(
      { table, from: format, target_key_id: target, rows: rows.map((u) => ({ row_id: u.id, field: u.field })) },
      `re-encryption upgraded ${rows.length} ${format === 'plaintext' ? 'plaintext' : 'Kong $ke$1$'} values to $ke$2$`,
    );
  }
}
