/**
 * Keyring failures as values with stable codes; libs/http maps each code to a status and the
 * message to Kong's `{"message": ...}` body (these messages are written for the operator).
 */
export class KeyringError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'KeyringError';
  }
}

export const keyringDisabled = () =>
  new KeyringError('KEYRING_DISABLED', 'the keyring is not enabled; set keyring_enabled = on (KONG_KEYRING_ENABLED=on) to use it');

export const strategyOnly = (strategy: 'cluster' | 'vault') =>
  new KeyringError('KEYRING_STRATEGY', `endpoint only supported for '${strategy}' strategy (keyring_strategy)`);

export const badParam = (message: string) => new KeyringError('KEYRING_BAD_REQUEST', message);

export const settingMissing = (setting: string, purpose: string) =>
  new KeyringError('KEYRING_BAD_REQUEST', `${setting} is not set; ${purpose}`);

export const unknownKey = (id: string) => new KeyringError('KEYRING_UNKNOWN_KEY', `key ${id} is not in the keyring`);

export const activeKeyRemoval = (id: string) =>
  new KeyringError('KEYRING_ACTIVE_KEY', `cannot remove the active key ${id}; activate another key first`);

/** The keyring is on but this node has no active key: nothing can be encrypted. */
export const notReady = (detail: string) => new KeyringError('KEYRING_NOT_READY', `no encryption key is active on this node: ${detail}`);

/** Lookup digests (`key_digest`) need the index key, which this node has not received. */
export const indexKeyMissing = () =>
  new KeyringError(
    'KEYRING_NOT_READY',
    'this node does not hold the keyring index key (it keys lookup digests such as key-auth key_digest); recover the keyring (POST /keyring/recover) or import it (POST /keyring/import)',
  );

/** A key still used by rows: removing it would make them unreadable. */
export class KeyInUseError extends KeyringError {
  /** Added to the error body next to `message`. */
  get details(): { rows: Record<string, number> } {
    return { rows: this.rows };
  }

  constructor(
    id: string,
    readonly rows: Record<string, number>,
  ) {
    const total = Object.values(rows).reduce((n, c) => n + c, 0);
    const detail = Object.entries(rows).map(([t, n]) => `${t}: ${n}`).join(', ');
    super('KEYRING_KEY_IN_USE', `key ${id} is still used by ${total} rows (${detail}); re-encrypt them first (POST /keyring/reencrypt, then GET /keyring/reencrypt until done) or pass force=true`);
  }
}

export const keyInUse = (id: string, rows: Record<string, number>) => new KeyInUseError(id, rows);

/**
 * An import naming a key id the cluster already has: replacing its material would make every
 * value written under it unreadable, so import never overwrites (identical keys are idempotent).
 */
export const keyConflict = (id: string, detail: string) =>
  new KeyringError('KEYRING_KEY_CONFLICT', `key ${id} is already in the keyring ${detail}`);
