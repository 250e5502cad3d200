import type { KeySpec, ValueOfSpec } from '../spec';
import { GENERAL_KEYS } from './general';
import { ADMIN_SECURITY_KEYS } from './admin-security';
import { KEYRING_KEYS } from './keyring';
import { JOB_KEYS } from './jobs';
import { PROXY_KEYS } from './proxy';
import { VAULT_KEYS } from './vaults';
import { LISTENER_TLS_KEYS } from './listener-tls';
import { IAM_KEYS, POSTGRES_KEYS, POSTGRES_RO_KEYS, TLS_KEYS } from './postgres';

/** Every configuration key Keygate knows, with its type, default and documentation. */
export const KEYS = {
  ...GENERAL_KEYS,
  ...ADMIN_SECURITY_KEYS,
  ...POSTGRES_KEYS,
  ...POSTGRES_RO_KEYS,
  ...IAM_KEYS,
  ...TLS_KEYS,
  ...LISTENER_TLS_KEYS,
  ...KEYRING_KEYS,
  ...JOB_KEYS,
  ...PROXY_KEYS,
  ...VAULT_KEYS,
};

export type ConfigKey = keyof typeof KEYS;

/** The keys by topic, for the generated configuration reference. */
export const KEY_GROUPS: ReadonlyArray<{ readonly title: string; readonly keys: Readonly<Record<string, KeySpec<unknown>>> }> = [
  { title: 'General', keys: GENERAL_KEYS },
  { title: 'Admin API access control and audit', keys: ADMIN_SECURITY_KEYS },
  { title: 'PostgreSQL', keys: POSTGRES_KEYS },
  { title: 'PostgreSQL read-only connection', keys: POSTGRES_RO_KEYS },
  { title: 'Amazon RDS IAM authentication', keys: IAM_KEYS },
  { title: 'TLS', keys: TLS_KEYS },
  { title: 'TLS on the Admin API, status and cluster page listeners', keys: LISTENER_TLS_KEYS },
  { title: 'Keyring and data encryption', keys: KEYRING_KEYS },
  { title: 'Background jobs', keys: JOB_KEYS },
  { title: 'Proxy', keys: PROXY_KEYS },
  { title: 'Secrets management', keys: VAULT_KEYS },
];

export type ConfigValues = { readonly [K in ConfigKey]: ValueOfSpec<(typeof KEYS)[K]> };

/**
 * Kong's dynamic `vault_<name>_<field>` namespace (e.g. `vault_aws_region`): any such key is
 * accepted and kept as text; the secrets layer types it against the backend's schema.
 */
export const VAULT_KEY_PATTERN = /^vault_[a-z0-9]+(?:_[a-z0-9]+)+$/;

export { PG_FIELD_NAMES } from './postgres';
