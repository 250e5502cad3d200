import { channel } from '@keygate/bus';

/**
 * What keyring members say to each other over NOTIFY. Ids only: keys travel in envelopes stored
 * in `keyring_envelopes`, and the tables are the truth a member resyncs from.
 */
export type KeyringMessage =
  /** A member lacks keys (`*` = all) and asks admitted holders to send them. */
  | { readonly type: 'request'; readonly from: string; readonly key_ids: string[] | '*' }
  /** Envelopes are waiting for `to`. */
  | { readonly type: 'envelopes'; readonly to: string; readonly ids: string[] }
  | { readonly type: 'activated'; readonly from: string; readonly key_id: string }
  | { readonly type: 'removed'; readonly from: string; readonly key_id: string }
  /** A member applied a change (for convergence reports and benchmarks). */
  | { readonly type: 'applied'; readonly node_id: string; readonly active: string | null; readonly key_ids: string[] };

const TYPES = new Set(['request', 'envelopes', 'activated', 'removed', 'applied']);

export const KEYRING_CHANNEL = channel<KeyringMessage>('keygate_keyring', (value) => {
  const v = value as { type?: unknown } | null;
  return v && typeof v.type === 'string' && TYPES.has(v.type) ? (value as KeyringMessage) : undefined;
});

/** Envelope ids per NOTIFY, to stay far below the 8000-byte payload limit. */
export const IDS_PER_MESSAGE = 100;
