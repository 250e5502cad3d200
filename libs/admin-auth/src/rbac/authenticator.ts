import { constantTimeEqual } from '@keygate/crypto';
import type { Database } from '@keygate/db';
import type { Logger } from '@keygate/logging';
import { forbidden, invalidCredentials } from '../errors';
import type { AdminSecrets } from '../secrets';
import { actionOf, allows, builtInRole, type EndpointPermission } from './permissions';
import { rolePermissionsMac, userMac, userRoleMac, type UserRow } from './rows';
import { normalizeToken, verifyToken } from './tokens';

export interface AdminUser {
  readonly id: string;
  readonly name: string;
}

interface RoleLink {
  readonly role_id: string;
  readonly link_mac: string | null;
  readonly name: string;
  readonly permissions_mac: string | null;
  readonly workspace: string | null;
  readonly endpoint: string | null;
  readonly actions: number | null;
  readonly negative: boolean | null;
}

const CACHE_LIMIT = 1000;

/**
 * Who is calling and may they: reads the user and its roles from the tables on every request
 * (a revoked token stops working at once on every node, whatever the bus delivers), and accepts
 * only rows whose MAC verifies. The only thing remembered is which stored hash a token already
 * matched (scrypt is slow on purpose); any RBAC change announced on the bus drops it.
 */
export class RbacAuthenticator {
  readonly #verified = new Map<string, string>();
  readonly #warned = new Set<string>();

  constructor(
    private readonly db: Database,
    private readonly secrets: AdminSecrets,
    private readonly logger: Logger,
  ) {}

  /** Forget every verified token (an RBAC change was announced). */
  forget(): void {
    this.#verified.clear();
  }

  /** The user a token belongs to; Kong's 401 for anything else. */
  async authenticate(raw: string | undefined): Promise<AdminUser> {
    const token = raw === undefined ? '' : normalizeToken(raw);
    if (token === '') throw invalidCredentials();
    const ident = this.secrets.tokenIdent(token);
    const user = (await this.db.query<UserRow & Record<string, unknown>>('SELECT * FROM rbac_users WHERE user_token_ident = $1 AND enabled', [ident])).rows[0];
    if (!user) throw invalidCredentials();
    if (!user.mac || !constantTimeEqual(user.mac, userMac(this.secrets, user))) {
      this.#warnOnce(`user:${user.id}`, { table: 'rbac_users', id: user.id }, 'RBAC user row fails its MAC (changed outside Keygate); refused');
      throw invalidCredentials();
    }
    if (this.#verified.get(ident) !== user.user_token) {
      if (!(await verifyToken(token, user.user_token))) throw invalidCredentials();
      if (this.#verified.size >= CACHE_LIMIT) this.#verified.clear();
      this.#verified.set(ident, user.user_token);
    }
    return { id: user.id, name: user.name };
  }

  /** Kong's 403 unless one of the user's verified roles allows `method` on `path`. */
  async authorize(user: AdminUser, method: string, path: string): Promise<void> {
    const action = actionOf(method);
    if (!allows(await this.permissionsOf(user.id), path, action)) throw forbidden(user.name, action);
  }

  /** The endpoint permissions of every role linked to the user by a verified row. */
  async permissionsOf(userId: string): Promise<EndpointPermission[]> {
    const rows = (
      await this.db.query<RoleLink & Record<string, unknown>>(
        `SELECT ur.role_id, ur.mac AS link_mac, r.name, r.permissions_mac, e.workspace, e.endpoint, e.actions, e.negative
           FROM rbac_user_roles ur JOIN rbac_roles r ON r.id = ur.role_id
           LEFT JOIN rbac_role_endpoints e ON e.role_id = r.id
          WHERE ur.user_id = $1`,
        [userId],
      )
    ).rows;
    const roles = new Map<string, { link: string | null; name: string; mac: string | null; endpoints: EndpointPermission[] }>();
    for (const row of rows) {
      const role = roles.get(row.role_id) ?? { link: row.link_mac, name: row.name, mac: row.permissions_mac, endpoints: [] };
      roles.set(row.role_id, role);
      if (row.endpoint !== null) role.endpoints.push({ workspace: row.workspace as string, endpoint: row.endpoint, actions: row.actions as number, negative: row.negative === true });
    }
    const permissions: EndpointPermission[] = [];
    for (const [roleId, role] of roles) {
      if (!role.link || !constantTimeEqual(role.link, userRoleMac(this.secrets, userId, roleId))) {
        this.#warnOnce(`link:${userId}:${roleId}`, { table: 'rbac_user_roles', user_id: userId, role_id: roleId }, 'RBAC user-role row fails its MAC (changed outside Keygate); ignored');
        continue;
      }
      const builtIn = builtInRole(roleId);
      if (builtIn) {
        permissions.push(...builtIn.permissions);
        continue;
      }
      if (!role.mac || !constantTimeEqual(role.mac, rolePermissionsMac(this.secrets, { id: roleId, name: role.name }, role.endpoints))) {
        this.#warnOnce(`role:${roleId}`, { table: 'rbac_roles', role_id: roleId }, "RBAC role's permissions fail their MAC (a row changed outside Keygate); the role grants nothing");
        continue;
      }
      permissions.push(...role.endpoints);
    }
    return permissions;
  }

  #warnOnce(key: string, fields: Record<string, string>, message: string): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.logger.warn(fields, message);
  }
}
