import type { FieldContext } from '@keygate/crypto';

/**
 * Encrypts and decrypts the fields an entity declares as encrypted. Implemented by the keyring;
 * `plainFields` (keyring off) stores them as they are.
 */
export interface FieldProtector {
  /** For storage. Throws (a typed error) when the keyring is on but has no active key. */
  protect(value: string, context: FieldContext): Promise<string>;
  /** From storage. Throws when the key is missing or the value fails authentication. */
  reveal(value: string, context: FieldContext): Promise<string>;
}

export const plainFields: FieldProtector = {
  protect: async (value) => value,
  reveal: async (value) => value,
};
