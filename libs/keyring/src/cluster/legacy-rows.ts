import type { Queryable } from '@keygate/db';
import type { Logger } from '@keygate/logging';
import type { Keyring } from '../keyring';
import type { MetaRow } from '../meta';
import type { KeyringStore } from '../store';

/**
 * Signs `keyring_meta` rows that were never signed, for keys held here: once, when a cluster
 * upgrades to signed rows (no row has a MAC yet), and on recovery (`any`, the operator's call:
 * Kong's rows). The row that says `active` gets the next generation; a removal is never signed.
 */
export async function signLegacyRows(store: KeyringStore, keyring: Keyring, logger: Logger, tx: Queryable, rows: readonly MetaRow[], any = false): Promise<void> {
  // A node holding the index key belongs to a cluster whose rows are signed already.
  if (!any && (rows.some((r) => r.mac !== null) || keyring.indexKey())) return;
  // Rows never signed only: a row whose MAC is there but wrong was edited, and stays ignored.
  const unsigned = rows.filter((r) => r.mac === null && keyring.has(r.id));
  if (unsigned.length === 0) return;
  let next = rows.reduce((max, r) => (r.generation !== null && BigInt(r.generation) > max ? BigInt(r.generation) : max), 0n);
  for (const row of unsigned) {
    const generation = row.state === 'active' ? String(++next) : row.generation;
    await store.sign(tx, keyring.get(row.id)!, generation);
  }
  logger.info({ key_ids: unsigned.map((r) => r.id) }, `keyring: signed ${unsigned.length} keyring_meta rows that had no valid MAC`);
}
