import type { LoadedConfig } from '@keygate/config';
import { revealIfSecret, Secret } from '@keygate/crypto';

/** Settings a node needs to join, copied from this admin node's own configuration. */
const NODE_KEYS = /^(pg_|redis_url$|vaults$|vault_|keyring_enabled$|keyring_strategy$|keyring_recovery_public_key$|keyring_vault_)/;
/** Never handed to a node: the cluster secret is what the credential replaces; the Vault token is this node's own. */
const EXCLUDED = new Set(['keyring_cluster_secret', 'keyring_vault_token']);

function text(value: unknown): string | undefined {
  const v = value instanceof Secret ? (revealIfSecret(value) as unknown) : value;
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  if (Array.isArray(v)) return v.map(String).join(',');
  if (typeof v === 'object') return (v as { text?: string }).text;
  return String(v);
}

/**
 * The settings `POST /cluster/enroll` hands a new node: those this admin node was given
 * explicitly (database, Redis, vault backends, keyring mode), each as the operator wrote it, so
 * a `{vault://...}` reference stays a reference and never becomes its value, plus the node's
 * own credential and the cluster's admission key (public), which its joins must answer with.
 * Defaults are left out (the node has the same ones).
 */
export function enrolledNodeSettings(loaded: LoadedConfig, credential: string, admissionKey: string): Record<string, string> {
  const settings: Record<string, string> = {};
  const references = new Map(loaded.references.map((r) => [r.key, r.reference]));
  const values = loaded.config as unknown as Record<string, unknown>;
  for (const key of loaded.sources.keys()) {
    if (!NODE_KEYS.test(key) || EXCLUDED.has(key)) continue;
    const value = references.get(key) ?? text(values[key] ?? loaded.config.vault_options[key]);
    if (value !== undefined) settings[key] = value;
  }
  settings.cluster_node_credential = credential;
  settings.cluster_admission_key = admissionKey;
  return settings;
}
