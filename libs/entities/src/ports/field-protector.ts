import { unkeyedDigest, type FieldContext } from '@keygate/crypto';

/**
 * Encrypts and decrypts the fields an entity declares as encrypted, and computes the lookup
 * digests it declares. Implemented by the keyring; `plainFields` (keyring off) stores them as
 * they are.
 */
export interface FieldProtector {
  /** For storage. Throws (a typed error) when the keyring is on but has no active key. */
  protect(value: string, context: FieldContext): Promise<string>;
  /** From storage. Throws when the key is missing or the value fails authentication. */
  reveal(value: string, context: FieldContext): Promise<string>;
  /**
   * Deterministic digest of a secret value (uniqueness, lookup): keyed with the cluster's index
   * key when the keyring is on. Throws (a typed error) when this node lacks the index key.
   */
  digest(purpose: string, value: string): Promise<string>;
}

export const plainFields: FieldProtector = {
  protect: async (value) => value,
  reveal: async (value) => value,
  // With the keyring off the value is stored in clear in the same row: a key would hide nothing.
  digest: async (purpose, value) => unkeyedDigest(purpose, value),
};
