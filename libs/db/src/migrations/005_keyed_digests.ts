import type { Migration } from '../migrator';

/**
 * Keyed lookup digests: the index key has a `keyring_meta` row of its own state (`index`), so the
 * exchange sends it to members like any key while activation and retirement never touch it. The
 * partial index finds the rows whose digest is still unkeyed (to migrate) without a table scan.
 */
export const keyedDigests: Migration = {
  name: '005_keyed_digests',
  sql: /* sql */ `
ALTER TABLE keyring_meta DROP CONSTRAINT keyring_meta_state_check;
ALTER TABLE keyring_meta ADD CONSTRAINT keyring_meta_state_check CHECK (state IN ('active', 'alive', 'tombstoned', 'index'));
CREATE INDEX keyauth_credentials_unkeyed_digest_idx ON keyauth_credentials (id) WHERE key_digest NOT LIKE 'h1:%';
`,
};
