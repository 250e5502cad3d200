import type { Migration } from '../migrator';
import { base } from './000_base';

/** Every migration, in order. Append only: an executed migration is never edited. */
export const MIGRATIONS: readonly Migration[] = [base];

/**
 * Every table the migrations create, children before parents, for `migrations reset`.
 * A test bootstraps, resets and checks that no table is left, so this list cannot go stale.
 */
export const TABLES: readonly string[] = [
  'cluster_nodes',
  'vaults',
  'keyauth_credentials',
  'basicauth_credentials',
  'plugins',
  'consumers',
  'routes',
  'services',
  'certificates',
];
