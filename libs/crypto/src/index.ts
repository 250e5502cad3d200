export { Secret, REDACTED, revealIfSecret } from './secret';
export { CryptoError, FieldIntegrityError, KeyNotAvailableError, LegacyFormatRefusedError, PlaintextRefusedError, RsaKeyError } from './errors';
export {
  encryptField,
  decryptField,
  fieldFormat,
  fieldKeyId,
  keyOrigin,
  MARKER_V1,
  MARKER_V2,
  NonceSource,
  type DataKey,
  type DecryptedField,
  type DecryptPolicy,
  type KeyOrigin,
  type FieldContext,
  type FieldFormat,
} from './field-cipher';
export { randomAlphanumeric, newKeyId, newDataKey } from './random';
export {
  loadRsaKey,
  parsePrivateKeyPem,
  rsaOaepEncrypt,
  rsaOaepDecrypt,
  rsaPkcs1v15DecryptLegacy,
  publicKeyFingerprint,
  rsaSign,
  rsaVerify,
  type RsaKind,
} from './rsa';
export { hmacHex, constantTimeEqual } from './mac';
export { newSigningKeyPair, signingPublicKey, ed25519Sign, ed25519Verify, deriveKey, hmacBase64, type SigningKeyPair } from './signing';
export { keyedDigest, unkeyedDigest, isKeyedDigest, DIGEST_V1 } from './lookup-digest';
export { readPemSetting, PemSettingError, type PemSource } from './pem';
export { selfSignedCertificate, type SelfSigned, type SelfSignedOptions } from './self-signed';
export {
  formatNodeCredential,
  parseNodeCredential,
  joinProof,
  verifyJoinProof,
  newJoinKeyPair,
  sealJoinAnswer,
  openJoinAnswer,
  isJoinPublicKey,
  type NodeCredential,
  type JoinClaim,
  type JoinRequest,
  type JoinAnswer,
  type JoinGrant,
  type JoinKeyPair,
} from './node-join';
export { ClusterAdmission, isAdmittedClaim, type AdmissionClaim, type AdmittedClaim } from './admission';
export { admittedClaim, createNodeIdentity, createMembership, type NodeIdentity, type MemberIdentity, type Membership } from './node-identity';
