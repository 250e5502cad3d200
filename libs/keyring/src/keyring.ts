import type { DataKey } from '@keygate/crypto';
import { unknownKey } from './errors';

export type KeyringChange =
  | { readonly type: 'added'; readonly id: string }
  | { readonly type: 'removed'; readonly id: string }
  | { readonly type: 'activated'; readonly id: string };

/**
 * The keys this node holds, in memory only (never logged, never written unless
 * `keyring_blob_path`), and which one encrypts new values.
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

  ids(): string[] {
    return [...this.#keys.keys()].sort();
  }

  all(): DataKey[] {
    return [...this.#keys.values()];
  }

  add(key: DataKey): void {
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
    if (!this.#keys.has(id)) throw unknownKey(id);
    if (generation !== undefined) {
      if (generation < this.#generation) return false;
      this.#generation = generation;
    }
    if (this.#activeId === id) return true;
    this.#activeId = id;
    this.#emit({ type: 'activated', id });
    return true;
  }

  remove(id: string): void {
    if (!this.#keys.delete(id)) return;
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
