/**
 * The cluster's index key: 32 random bytes that key the lookup digests (`key_digest`), so a
 * database reader cannot test guesses of a key offline. It travels and is backed up as an
 * ordinary keyring entry under this reserved id, which no data key can have: generated ids are 8
 * `[A-Za-z0-9]`, imported ones `[A-Za-z0-9_.~]`, and a `:` cannot appear in a `$ke$` value. It is
 * never activated, removed or re-encrypted with, and never rotated with the data keys.
 */
export const INDEX_KEY_ID = 'keygate:index';

/** `keyring_meta.state` of the index key's row: the exchange asks peers for it like any key. */
export const INDEX_KEY_STATE = 'index';

export const isIndexKeyId = (id: string): boolean => id === INDEX_KEY_ID;
