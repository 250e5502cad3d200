import type { DataKey } from '@keygate/crypto';
import type { KeyChange } from '@keygate/entities';
import { unknownKey } from './errors';
import { INDEX_KEY_ID, isIndexKeyId } from './index-key';

/** The domain's key change (ports), under the name the keyring has always used. */
export type KeyringChange = KeyChange;

/**
 * The keys this node holds, in memory only (never logged, never written unless
 * `keyring_blob_path`), and which one encrypts new values. The index key (lookup digests) is held
 * here too, so it travels, is exported and recovered like a data key; `ids()` lists data keys only.
 */
export class Keyring {
  readonly #keys = new Map<string, DataKey>();
  #activeId: string | undefined;
  /** Generation of the activation applied last: an older one (a replayed row) never wins. */
  #generation = 0n;
  readonly #listeners = new Set<(change: KeyringChange) => void>();

  get activeId(): string | undefined {
    return this.#activeId;
  }

  active(): DataKey | undefined {
    return this.#activeId === undefined ? undefined : this.#keys.get(this.#activeId);
  }

  get(id: string): DataKey | undefined {
    return this.#keys.get(id);
  }

  has(id: string): boolean {
    return this.#keys.has(id);
  }

  /** Data key ids (the index key is not one). */
  ids(): string[] {
    return [...this.#keys.keys()].filter((id) => !isIndexKeyId(id)).sort();
  }

  /** The cluster's index key, once this node has it. */
  indexKey(): DataKey | undefined {
    return this.#keys.get(INDEX_KEY_ID);
  }

  /** Every key, the index key included (what is sent to peers, exported, written to the blob). */
  all(): DataKey[] {
    return [...this.#keys.values()];
  }

  add(key: DataKey): void {
    // Replacing the index key would change every digest and silently break uniqueness.
    if (isIndexKeyId(key.id) && this.#keys.has(key.id)) return;
    const known = this.#keys.has(key.id);
    this.#keys.set(key.id, key);
    if (!known) this.#emit({ type: 'added', id: key.id });
  }

  get generation(): bigint {
    return this.#generation;
  }

  /**
   * Makes `id` the key new values are encrypted with. With a generation (from a verified
   * `keyring_meta` row), an activation older than the one applied is refused: returns false.
   */
  activate(id: string, generation?: bigint): boolean {
    if (!this.#keys.has(id) || isIndexKeyId(id)) throw unknownKey(id);
    if (generation !== undefined) {
      if (generation < this.#generation) return false;
      this.#generation = generation;
    }
    if (this.#activeId === id) return true;
    this.#activeId = id;
    this.#emit({ type: 'activated', id });
    return true;
  }

  /** The index key is never forgotten: no message or missing row can make a node drop it. */
  remove(id: string): void {
    if (isIndexKeyId(id) || !this.#keys.delete(id)) return;
    if (this.#activeId === id) this.#activeId = undefined;
    this.#emit({ type: 'removed', id });
  }

  onChange(listener: (change: KeyringChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(change: KeyringChange): void {
    for (const listener of this.#listeners) listener(change);
  }
}
