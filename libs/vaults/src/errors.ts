/** Stable codes of the secrets layer (mapped to HTTP statuses only by the vault-resolver app). */
export type VaultErrorCode =
  | 'VAULT_REFERENCE_INVALID'
  | 'VAULT_NOT_FOUND'
  | 'VAULT_CONFIG_INVALID'
  | 'VAULT_SECRET_NOT_FOUND'
  | 'VAULT_BACKEND'
  | 'VAULT_RESOLVER_UNAVAILABLE';

/**
 * A reference could not be resolved. Messages name the reference and the cause (an AWS error
 * code, Vault's status), never a secret value.
 */
export class VaultError extends Error {
  constructor(
    readonly code: VaultErrorCode,
    message: string,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
    this.name = 'VaultError';
  }
}

/** Kong's parse errors (`reference url is missing path`); `message` adds the reference in brackets as Kong does. */
export class InvalidReferenceError extends VaultError {
  constructor(
    readonly reason: string,
    readonly reference: string,
  ) {
    super('VAULT_REFERENCE_INVALID', `${reason} [${reference}]`);
    this.name = 'InvalidReferenceError';
  }
}

export const secretNotFound = (message: string) => new VaultError('VAULT_SECRET_NOT_FOUND', message);
export const backendError = (message: string, cause?: unknown) => new VaultError('VAULT_BACKEND', message, { cause });
