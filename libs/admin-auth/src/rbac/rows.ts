import type { AdminSecrets } from '../secrets';
import type { EndpointPermission } from './permissions';

export interface UserRow {
  readonly id: string;
  readonly name: string;
  readonly user_token: string;
  readonly user_token_ident: string;
  readonly comment: string | null;
  readonly enabled: boolean;
  readonly created_at: Date;
  readonly updated_at: Date;
  readonly mac: string | null;
  readonly epoch: string | null;
}

export interface RoleRow {
  readonly id: string;
  readonly name: string;
  readonly comment: string | null;
  readonly is_default: boolean;
  readonly created_at: Date;
  readonly updated_at: Date;
  readonly permissions_mac: string | null;
  readonly entities_mac: string | null;
  readonly epoch: string | null;
}

/** A grant or deny of actions on one entity (`entity_id` a uuid, or `*` for every entity). */
export interface EntityPermission {
  readonly entity_id: string;
  readonly entity_type: string;
  readonly actions: number;
  readonly negative: boolean;
}

export interface EntityRow extends EntityPermission {
  readonly role_id: string;
  readonly comment: string | null;
  readonly created_at: Date;
  readonly updated_at: Date;
}

export interface EndpointRow extends EndpointPermission {
  readonly role_id: string;
  readonly comment: string | null;
  readonly created_at: Date;
}

/**
 * What each RBAC row's MAC covers (the key is derived from `keyring_cluster_secret`): a user's
 * identity, token hash, lookup identifier and whether it is enabled; a user-role link; a role
 * with its whole set of endpoint permissions, and apart its set of entity permissions (adding,
 * editing or deleting one breaks it, so a database writer can neither grant nor lift a deny).
 * Each also covers the RBAC epoch (`rbac_state`) it was signed in: a revocation moves every row
 * to a new epoch, so a copy saved before it no longer verifies. `null`: the format before
 * epochs, read once when a database is upgraded. A row that does not verify grants nothing.
 */
export type Epoch = number | null;

const sign = (s: AdminSecrets, parts: readonly (string | number | boolean | null)[], epoch: Epoch): string =>
  s.rowMac(epoch === null ? parts : [...parts, `epoch:${epoch}`]);

export const userMac = (s: AdminSecrets, u: Pick<UserRow, 'id' | 'name' | 'user_token' | 'user_token_ident' | 'enabled'>, epoch: Epoch): string =>
  sign(s, ['rbac_user', u.id, u.name, u.user_token, u.user_token_ident, u.enabled], epoch);

export const userRoleMac = (s: AdminSecrets, userId: string, roleId: string, epoch: Epoch): string => sign(s, ['rbac_user_role', userId, roleId], epoch);

export function rolePermissionsMac(s: AdminSecrets, role: Pick<RoleRow, 'id' | 'name'>, endpoints: readonly EndpointPermission[], epoch: Epoch): string {
  const lines = endpoints.map((e) => `${e.workspace}\n${e.endpoint}\n${e.actions}\n${e.negative}`).sort();
  return sign(s, ['rbac_role', role.id, role.name, ...lines], epoch);
}

/** A role's whole set of entity permissions. */
export function roleEntitiesMac(s: AdminSecrets, role: Pick<RoleRow, 'id' | 'name'>, entities: readonly EntityPermission[], epoch: Epoch): string {
  const lines = entities.map((e) => `${e.entity_id}\n${e.entity_type}\n${e.actions}\n${e.negative}`).sort();
  return sign(s, ['rbac_role_entities', role.id, role.name, ...lines], epoch);
}

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

/** Kong's user shape; the token hash and its identifier are never returned. */
export const userView = (u: UserRow) => ({ id: u.id, name: u.name, comment: u.comment, enabled: u.enabled, created_at: seconds(u.created_at), updated_at: seconds(u.updated_at) });

export const roleView = (r: RoleRow) => ({ id: r.id, name: r.name, comment: r.comment, is_default: r.is_default, created_at: seconds(r.created_at), updated_at: seconds(r.updated_at) });
