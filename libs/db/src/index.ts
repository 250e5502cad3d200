export { Database, quoteIdent, type DatabaseOptions, type DatabaseStats, type Queryable, type Row, type Transaction } from './database';
export {
  DatabaseError,
  UniqueViolationError,
  ForeignKeyViolationError,
  DatabaseUnavailableError,
  DatabaseTimeoutError,
  DatabaseBusyError,
  DatabaseAuthError,
  DatabaseMissingError,
  TransactionAbortedError,
  mapPgError,
} from './errors';
export {
  Migrator,
  SchemaNotReadyError,
  assertUpToDate,
  checksum,
  NEEDS_BOOTSTRAP_MESSAGE,
  type Migration,
  type MigratorOptions,
  type SchemaState,
  type ExecutedMigration,
} from './migrator';
export { MIGRATIONS, TABLES } from './migrations';
export {
  connectionSettings,
  describeTarget,
  DatabaseSettingsError,
  type ConnectionSettings,
  type PasswordProvider,
  type PoolRole,
  type SettingsOverrides,
} from './settings';
export { waitForDatabase, type WaitOptions } from './wait';
export { createIamAuth, type IamAuth } from './iam/auth';
export { IamTokenSource, TOKEN_LIFETIME_MS, type IamTokenOptions } from './iam/tokens';
export { ConnectionRateLimiter } from './iam/rate-limit';
export { regionFromRdsHost } from './iam/region';
export { iamAuthEnabled } from './settings';
