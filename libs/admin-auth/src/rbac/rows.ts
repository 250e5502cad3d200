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
 * with its whole set of endpoint permissions (adding, editing or deleting one breaks it, so a
 * database writer can neither grant nor lift a deny). A row that does not verify grants nothing.
 */
export const userMac = (s: AdminSecrets, u: Pick<UserRow, 'id' | 'name' | 'user_token' | 'user_token_ident' | 'enabled'>): string =>
  s.rowMac(['rbac_user', u.id, u.name, u.user_token, u.user_token_ident, u.enabled]);

export const userRoleMac = (s: AdminSecrets, userId: string, roleId: string): string => s.rowMac(['rbac_user_role', userId, roleId]);

export function rolePermissionsMac(s: AdminSecrets, role: Pick<RoleRow, 'id' | 'name'>, endpoints: readonly EndpointPermission[]): string {
  const lines = endpoints.map((e) => `${e.workspace}\n${e.endpoint}\n${e.actions}\n${e.negative}`).sort();
  return s.rowMac(['rbac_role', role.id, role.name, ...lines]);
}

/** A role's whole set of entity permissions (none: the MAC of the empty set, or no MAC at all). */
export function roleEntitiesMac(s: AdminSecrets, role: Pick<RoleRow, 'id' | 'name'>, entities: readonly EntityPermission[]): string {
  const lines = entities.map((e) => `${e.entity_id}\n${e.entity_type}\n${e.actions}\n${e.negative}`).sort();
  return s.rowMac(['rbac_role_entities', role.id, role.name, ...lines]);
}

const epoch = (d: Date) => Math.floor(d.getTime() / 1000);

/** Kong's user shape; the token hash and its identifier are never returned. */
export const userView = (u: UserRow) => ({ id: u.id, name: u.name, comment: u.comment, enabled: u.enabled, created_at: epoch(u.created_at), updated_at: epoch(u.updated_at) });

export const roleView = (r: RoleRow) => ({ id: r.id, name: r.name, comment: r.comment, is_default: r.is_default, created_at: epoch(r.created_at), updated_at: epoch(r.updated_at) });
