export { credentialChain, type CredentialChainOptions } from './chain';
export { assumeRole, stsEndpoint, type AssumeRoleOptions } from './sts';
export { cachedProvider, type CachedProviderOptions, type DescribedProvider } from './cached';
export { instanceMetadataCredentials, instanceRegion, DEFAULT_IMDS_ENDPOINT, type InstanceMetadataOptions } from './imds';
export { AwsCredentialsError, describeAwsError } from './errors';
export { sdkLimits, type CallLimits } from './retry';
export { readSecretString, AwsSecretError, type ReadSecretOptions } from './secret';
