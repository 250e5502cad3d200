// The vault-resolver node's service (apps/vault-resolver): the cluster's secret cache for
// references in entities, its signed API, secret-refresh jobs and change events.
export { startVaultResolverService, vaultResolverUrl, type VaultResolverService, type VaultResolverNodeContext } from './node';
export { resolverApi, type ResolverApiOptions } from './server';
export { SecretRefreshJobs, schedulerId, type SecretRefreshJobsOptions } from './jobs';
export { VAULT_CHANGES, changePayloads, type VaultChange } from '../events';
export { verifyRequest, MAX_SKEW_MS, type AuthResult } from '../remote/auth';
export { RESOLVE_PATH, HEALTH_PATH, type ResolveResult, type ResolveResponse, type HealthResponse } from '../remote/protocol';
export { ReferenceHealthTracker, type ReferenceHealth, type ReferenceHealthOptions } from './health';
