// The in-process resolver: references, backends, cache and the resolver every node hands to
// loadConfig. The vault-resolver node service is `@keygate/vaults/service`; its client
// `@keygate/vaults/client`. Both share the wire contract in src/remote/.
export { parseReference, isReference, type ParsedReference } from './reference';
export { VaultError, InvalidReferenceError, type VaultErrorCode } from './errors';
export type { VaultBackend, SecretReader, BackendContext, VaultConfig } from './backends/backend';
export { BUNDLED_BACKENDS, loadedBackends } from './backends';
export { envBackend, environmentVariableName } from './backends/env';
export { awsBackend } from './backends/aws';
export { hcvBackend } from './backends/hcv';
export { effectiveConfig, globalOptions, type EffectiveConfig, type TtlSettings } from './vault-config';
export { VaultDirectory, type VaultEntity, type VaultEntityLookup } from './directory';
export { SecretCache, type CachedSecret, type EntryStatus } from './cache';
export { SecretResolver, type Resolution, type SecretResolverOptions, type ReferencesChanged } from './resolver';
export { LogOnce } from './log-once';
export { vaultReferences, type ConfigReferencesOptions } from './config-resolver';
export { EntityReferenceResolver, findReferences, type ReferenceFailure, type ResolvedEntity } from './entity-references';
