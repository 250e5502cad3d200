import type { Secret } from '@keygate/crypto';
import type { Database } from '@keygate/db';
import type { AdminSecrets } from '../secrets';
import { BUILT_IN_ROLES } from './permissions';
import { RbacState } from './state';
import { RbacUsers } from './users';

export const BOOTSTRAP_USER = 'kong_admin';

/**
 * Kong Enterprise's bootstrap: `KONG_PASSWORD` makes the super admin `kong_admin`, whose
 * `Kong-Admin-Token` is that value (stored hashed, unlike Kong's first plaintext row). Skipped
 * when `kong_admin` exists. Returns whether it was created.
 */
export async function bootstrapSuperAdmin(db: Database, secrets: AdminSecrets, password: Secret<string>): Promise<boolean> {
  await new RbacState(db, secrets).initialise();
  const users = new RbacUsers(db, secrets);
  const superAdmin = BUILT_IN_ROLES.find((r) => r.name === 'super-admin') as (typeof BUILT_IN_ROLES)[number];
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['keygate rbac bootstrap']);
    if ((await tx.query('SELECT 1 FROM rbac_users WHERE name = $1', [BOOTSTRAP_USER])).rows.length > 0) return false;
    await users.create({ name: BOOTSTRAP_USER, user_token: password.reveal(), comment: 'Initial RBAC Secure User' }, tx);
    return true;
  }).then(async (created) => {
    if (created) await users.addRoles(BOOTSTRAP_USER, superAdmin.name);
    return created;
  });
}
