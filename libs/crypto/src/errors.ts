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

/**
 * A `$ke$1$` value (Kong's AES-GCM without tag, i.e. unauthenticated CTR) under a key that was not
 * imported from Kong: Keygate never writes that format, so it can only be a forgery made from the
 * shared keystream of a `$ke$2$` value. Refused instead of read.
 */
export class LegacyFormatRefusedError extends CryptoError {
  override readonly code = 'LEGACY_FORMAT_REFUSED';
  constructor(readonly keyId: string) {
    super(`a $ke$1$ value names key ${keyId}, which was not imported from Kong; refused (Keygate writes only $ke$2$)`);
  }
}

/**
 * Plaintext in an encrypted field while the keyring is on: anyone with table write access could
 * have put it there, so it is refused unless `keyring_accept_plaintext` is on (a migration).
 */
export class PlaintextRefusedError extends CryptoError {
  override readonly code = 'PLAINTEXT_REFUSED';
  readonly keyId = undefined;
  constructor() {
    super('an encrypted field holds plaintext; refused (set keyring_accept_plaintext = on only while migrating a database written without the keyring)');
  }
}
