import type { Migration } from '../migrator';
import { base } from './000_base';
import { keyring } from './001_keyring';
import { clusterKeyring } from './002_cluster_keyring';
import { jobs } from './003_jobs';
import { keyOrigin } from './004_key_origin';
import { keyedDigests } from './005_keyed_digests';
import { signedCluster } from './006_signed_cluster';
import { rbacAudit } from './007_rbac_audit';
import { upstreamsSnis } from './008_upstreams_snis';
import { enrollment } from './009_enrollment';
import { rbacEntities } from './010_rbac_entities';

/** Every migration, in order. Append only: an executed migration is never edited. */
export const MIGRATIONS: readonly Migration[] = [base, keyring, clusterKeyring, jobs, keyOrigin, keyedDigests, signedCluster, rbacAudit, upstreamsSnis, enrollment, rbacEntities];

/**
 * Every table the migrations create, children before parents, for `migrations reset`.
 * A test bootstraps, resets and checks that no table is left, so this list cannot go stale.
 */
export const TABLES: readonly string[] = [
  'target_health_overrides',
  'upstream_health',
  'targets',
  'upstreams',
  'ca_certificates',
  'snis',
  'cluster_enrollment_tokens',
  'cluster_credentials',
  'audit_heads',
  'audit_objects',
  'audit_requests',
  'rbac_state',
  'rbac_role_entities',
  'rbac_role_endpoints',
  'rbac_user_roles',
  'rbac_users',
  'rbac_roles',
  'keyring_reencrypt_runs',
  'job_outbox',
  'keyring_envelopes',
  'keyring_keys',
  'keyring_meta',
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
