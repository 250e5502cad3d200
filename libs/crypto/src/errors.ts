/** Failures of the field cipher, as values with stable codes (mapped to HTTP by libs/http). */
export class CryptoError extends Error {
  readonly code: string = 'CRYPTO_ERROR';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The stored value was changed, truncated or moved: its authentication tag does not verify. */
export class FieldIntegrityError extends CryptoError {
  override readonly code = 'FIELD_INTEGRITY';
  constructor(readonly keyId: string | undefined, reason: string) {
    super(`encrypted field failed authentication (${reason})`);
  }
}

/** A value names a key this node does not hold. */
export class KeyNotAvailableError extends CryptoError {
  override readonly code = 'KEY_NOT_AVAILABLE';
  constructor(readonly keyId: string) {
    super(`encryption key ${keyId} is not available on this node`);
  }
}

/** An RSA key setting is unreadable, or not an RSA key of the kind required. */
export class RsaKeyError extends CryptoError {
  override readonly code = 'RSA_KEY_INVALID';
}
