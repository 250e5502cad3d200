// What a node uses to ask the vault-resolver for references in entities and hear of changes.
export { VaultResolverClient, type VaultResolverClientOptions, type ChangedReferences } from './client';
export { VAULT_CHANGES, type VaultChange } from '../events';
export { signRequest, memberSigner, MAX_SKEW_MS, type AuthResult, type RequestSigner } from '../remote/auth';
export { RESOLVE_PATH, HEALTH_PATH, type ResolveResult, type ResolveResponse, type HealthResponse, type ReferenceHealth } from '../remote/protocol';
