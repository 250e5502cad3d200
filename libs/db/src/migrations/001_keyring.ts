import type { Migration } from '../migrator';

/**
 * Kong's keyring tables: `keyring_meta` (key ids and which is active; never key material) and
 * `keyring_keys` (each key encrypted to the recovery public key). Plus a deterministic digest of
 * key-auth keys, because the encrypted `key` column (random nonce) cannot enforce uniqueness.
 */
export const keyring: Migration = {
  name: '001_keyring',
  sql: /* sql */ `
CREATE TABLE keyring_meta (
  id         TEXT PRIMARY KEY,
  state      TEXT NOT NULL DEFAULT 'alive' CHECK (state IN ('active', 'alive', 'tombstoned')),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- At most one active key, whatever the races between nodes.
CREATE UNIQUE INDEX keyring_meta_single_active ON keyring_meta (state) WHERE state = 'active';

CREATE TABLE keyring_keys (
  id              TEXT PRIMARY KEY,
  recovery_key_id TEXT NOT NULL,
  key_encrypted   TEXT NOT NULL,
  created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

ALTER TABLE keyauth_credentials ADD COLUMN key_digest TEXT;
ALTER TABLE keyauth_credentials ADD CONSTRAINT keyauth_credentials_key_digest_key UNIQUE (key_digest);
ALTER TABLE keyauth_credentials ADD COLUMN expires_at TIMESTAMPTZ;
-- Encrypted values are not unique by nature; uniqueness of keys moves to key_digest.
ALTER TABLE keyauth_credentials DROP CONSTRAINT keyauth_credentials_key_key;
`,
};
