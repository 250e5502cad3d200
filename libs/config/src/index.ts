export { awsEnvironment, type AwsEnvironment } from './aws';
export { processEnv, envNameFor, ENV_PREFIX, type Env } from './env';
export { ConfigError, formatIssue, type ConfigIssue } from './errors';
export { KEYS, VAULT_KEY_PATTERN, PG_FIELD_NAMES, type ConfigKey, type ConfigValues } from './keys';
export { DEFAULT_CONF_PATHS } from './layers';
export { parseListenEntry, type ListenAddress } from './listen';
export { loadConfig, type Config, type LoadConfigOptions, type LoadedConfig } from './load';
export { isReference, type ConfigReference, type ReferenceResolver, type ResolveContext } from './reference';
export { describeSource, type ValueSource } from './source';
export type { KeySpec, KeyOrigin } from './spec';
export { displaySettings, redactedConfig, type DisplayedSetting } from './display';
export { parseKongConf } from './kong-conf';
export { renderConfigReference, replaceConfigReference, REFERENCE_START, REFERENCE_END } from './reference-doc';
export {
  AWS_SECRET_NAME_ENV,
  NODE_CONFIG_FORMAT,
  encodeNodeConfig,
  decodeNodeConfig,
  type AwsSecretOptions,
  type NodeConfigDocument,
  type SecretReader,
} from './sources/aws-secret';
