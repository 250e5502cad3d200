import type { DataKey } from '@keygate/crypto';
import type { Queryable } from '@keygate/db';
import type { MetaRow } from '../meta';

/**
 * How a node's keyring tells the rest of the cluster about a change it made. The single-node
 * default does nothing; the cluster exchange sends keys in envelopes and announces the rest.
 */
export interface KeyringPeers {
  /** New keys (generated, imported, recovered) for every admitted member. */
  distribute(keys: readonly DataKey[]): Promise<void>;
  /**
   * Announces an activation; with `tx`, inside it (heard when it commits). With `row`, the
   * `keyring_meta` row as written: members that verify its MAC apply it without reading it back.
   */
  activated(id: string, options?: { tx?: Queryable; row?: MetaRow }): Promise<void>;
  /** This node applied a change it made (reports its view). */
  applied(): Promise<void>;
  /** Announces a removal, with its signed tombstone row when the caller has it. */
  removed(id: string, row?: MetaRow): Promise<void>;
  /** Asks peers for a key this node lacks; resolves with it, or undefined after the fetch timeout. */
  fetchMissing(id: string): Promise<DataKey | undefined>;
}

export const noPeers: KeyringPeers = {
  distribute: async () => undefined,
  activated: async () => undefined,
  applied: async () => undefined,
  removed: async () => undefined,
  fetchMissing: async () => undefined,
};
