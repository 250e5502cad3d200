export { startAwsEmulator, type AwsEmulator, type AwsEmulatorOptions } from './emulator';
export type { OutageMode } from './api-server';
export { Clock } from '@keygate/tool-kit';
export {
  CredentialStore,
  type AccessKeyOption,
  type CredentialLookup,
  type Principal,
  type StoredCredential,
  type TemporaryCredentials,
} from './credentials';
export { verifyPresignedUrl, verifyRequest, type SignedRequest, type VerifyOptions } from './sigv4/verify';
export { MESSAGES as AUTH_MESSAGES, type AuthFailureCode, type VerifyFailure, type VerifyResult, type VerifySuccess } from './sigv4/result';
export { signingKey, canonicalRequest, stringToSign, formatAmzDate } from './sigv4/canonical';
export type { RoleOption, WebIdentityTokenOption } from './sts/operations';
export { SecretsStore, AWSCURRENT, AWSPREVIOUS } from './secrets/store';
