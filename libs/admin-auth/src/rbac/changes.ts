import { channel, notify } from '@keygate/bus';
import type { Queryable } from '@keygate/db';

/** An RBAC row changed: a hint only; nodes drop what they remember and read the tables again. */
export interface RbacChange {
  readonly table: string;
  readonly id: string;
}

export const RBAC_CHANGES = channel<RbacChange>('keygate_rbac_changes', (value) => {
  const v = value as Partial<RbacChange> | null;
  return v && typeof v.table === 'string' && typeof v.id === 'string' ? (v as RbacChange) : undefined;
});

export const announceRbacChange = (tx: Queryable, table: string, id: string): Promise<void> => notify(tx, RBAC_CHANGES, { table, id });
