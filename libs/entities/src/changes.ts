import { channel } from '@keygate/bus';
import type { Queryable } from '@keygate/db';

/**
 * An entity was created, updated or deleted. Published in the write's own transaction, so only
 * committed changes are announced. A delete of a consumer, service or route also removed the
 * rows that cascade from it (credentials, plugins) without events of their own: listeners apply
 * the cascade themselves.
 */
export interface EntityChange {
  readonly entity: string;
  readonly op: 'create' | 'update' | 'delete';
  readonly id: string;
}

const OPS = new Set(['create', 'update', 'delete']);

export const ENTITY_CHANGES = channel<EntityChange>('keygate_entity_changes', (value) => {
  const v = value as Partial<EntityChange> | null;
  return v && typeof v.entity === 'string' && typeof v.id === 'string' && OPS.has(v.op as string) ? (v as EntityChange) : undefined;
});

/** Announces a change inside the transaction that made it (the bus's `publish`). */
export type ChangeSink = (tx: Queryable, change: EntityChange) => Promise<void>;
