import type { Migration } from '../migrator';

/**
 * A database connection is not trust: membership rows name each member's Ed25519 signing key
 * (bound, with its RSA key, by the admission proof), and every `keyring_meta` row carries a MAC
 * under a subkey of the key it describes, with an activation generation (the highest verified
 * one is active; an older one never wins) and signed removals (`tombstoned` rows are kept).
 * `origin` says whether a key came from a Kong database (only those may read `$ke$1$`).
 * `keyring_keys.mac` authenticates each recovery row with the cluster secret.
 */
export const signedCluster: Migration = {
  name: '006_signed_cluster',
  sql: /* sql */ `
ALTER TABLE cluster_nodes ADD COLUMN signing_key TEXT;
ALTER TABLE keyring_meta ADD COLUMN IF NOT EXISTS origin TEXT NOT NULL DEFAULT 'keygate' CHECK (origin IN ('keygate', 'kong'));
ALTER TABLE keyring_meta ADD COLUMN generation BIGINT;
ALTER TABLE keyring_meta ADD COLUMN mac TEXT;
ALTER TABLE keyring_envelopes ADD COLUMN origin TEXT NOT NULL DEFAULT 'keygate';
ALTER TABLE keyring_keys ADD COLUMN mac TEXT;
`,
};
