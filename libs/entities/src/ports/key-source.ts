/** A change to the keys a node holds (ids only, never material). */
export type KeyChange =
  | { readonly type: 'added'; readonly id: string }
  | { readonly type: 'removed'; readonly id: string }
  | { readonly type: 'activated'; readonly id: string };

/**
 * What a feature needs to know about the keys this node holds, without reaching into the keyring:
 * the proxy reads rows under keys it lacks again when one arrives, and asks peers for them once.
 * Implemented by `libs/keyring` (`KeyringService.keys`); passed in by the app's composition root.
 */
export interface KeySource {
  has(id: string): boolean;
  /** Returns the unsubscribe function. */
  onChange(listener: (change: KeyChange) => void): () => void;
  /**
   * Asks other members for a key this node lacks and waits up to `keyring_fetch_timeout`;
   * false (with a warning saying what to do) when nobody sends it.
   */
  fetch(id: string): Promise<boolean>;
}

/** For nodes without a keyring: holds nothing, never changes. */
export const noKeys: KeySource = {
  has: () => false,
  onChange: () => () => undefined,
  fetch: async () => false,
};
