export type { Entity, EntityDefinition, ForeignKey, ValidationContext, Expanded, DigestColumn, Subschema, Subschemas } from './definition';
export { describeEntity, describeSubschema, describeField, type KongSchema, type KongField, type KongFields } from './schema/kong-schema';
export { TagsDao, taggedDefinitions, type TagRow, type TagPage } from './dao/tags';
export { EntityError, ERRORS, luaPretty, schemaViolation, type ErrorKind, type FieldErrors } from './schema/errors';
export { issuesToFields } from './schema/zod-errors';
export { inferFormValue } from './schema/introspect';
export { validateEntity, inferForm } from './schema/validate';
export { EntityDao, deepMerge, isUuid, type Page, type PageQuery, type Scope, type WriteOptions } from './dao/dao';
export { UnreadableRowError, revealRow } from './dao/unreadable';
export { encodeOffset, decodeOffset, encodeOffsetKeys, decodeOffsetKeys, parseSize, parseTags, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './dao/pagination';
export { EntityStore, coreDefinitions, collectionPath, type Relation } from './store';
export { plainFields, noKeys, noAudit, type FieldProtector, type KeyChange, type KeySource, type AuditEvent, type AuditTrail } from './ports';
export { basicAuthCredentials, keyAuthCredentials, basicAuthHash } from './definitions/credentials';
export { certificates } from './definitions/certificates';
export { snis, caCertificates, sniNameError } from './definitions/snis';
export { targets, parseTarget, formatTarget, DEFAULT_TARGET_PORT } from './definitions/targets';
export { upstreams, healthchecksOn, DEFAULT_HEALTHCHECKS, HASH_ON, ALGORITHMS, type Healthchecks } from './definitions/upstreams';
export { revealEntity, protectEntity, encryptedColumns, encryptedPaths, getPath, withPath } from './dao/encrypted';
export { fromRow, toRow } from './dao/rows';
export { PluginRegistry, BUNDLED_PLUGINS, type PluginSchema } from './plugins/registry';
export { SchemaRegistry, type Named, type RegistryKind } from './schema/registry';
export { keyAuth, keyAuthConfig, type KeyAuthConfig } from './plugins/key-auth';
export { basicAuth, basicAuthConfig, type BasicAuthConfig } from './plugins/basic-auth';
export { consumers } from './definitions/consumers';
export { services } from './definitions/services';
export { routes } from './definitions/routes';
export { pluginsDefinition, pluginCacheKey } from './definitions/plugins';
export * as fields from './schema/fields';
export { ENTITY_CHANGES, type EntityChange, type ChangeSink } from './changes';
export { vaultsDefinition } from './definitions/vaults';
export { VaultSchemaRegistry, BUNDLED_VAULTS, PLANNED_VAULTS } from './vaults/registry';
export { ttl as vaultTtl, TTL_FIELDS, type VaultSchema } from './vaults/schema';
export { envVault } from './vaults/env';
export { awsVault } from './vaults/aws';
export { hcvVault } from './vaults/hcv';
export { SETTING_CHECKS } from './setting-checks';
export {
  parseHealthSnapshot,
  writeUpstreamHealth,
  removeUpstreamHealth,
  readUpstreamHealth,
  setTargetHealth,
  readHealthOverrides,
  HEALTH_PUBLISH_INTERVAL_MS,
  HEALTH_STALE_AFTER_MS,
  TARGET_HEALTH_ENTITY,
  type UpstreamHealthSnapshot,
  type NodeHealth,
  type HealthOverride,
} from './upstream-health';
