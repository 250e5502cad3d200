import type { Migration } from '../migrator';

/**
 * Where each key came from. Kong's unauthenticated `$ke$1$` values are read only under keys
 * imported from a Kong database (`kong`); under keys Keygate generated (`keygate`) such a value
 * can only be a forgery (a downgrade from `$ke$2$`), so it is refused.
 */
export const keyOrigin: Migration = {
  name: '004_key_origin',
  sql: /* sql */ `
ALTER TABLE keyring_meta ADD COLUMN origin TEXT NOT NULL DEFAULT 'keygate' CHECK (origin IN ('keygate', 'kong'));
`,
};
