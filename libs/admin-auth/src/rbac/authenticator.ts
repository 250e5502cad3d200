import { AsyncLocalStorage } from 'node:async_hooks';
import { constantTimeEqual } from '@keygate/crypto';
import type { Database } from '@keygate/db';
import type { Logger } from '@keygate/logging';
import { forbidden, invalidCredentials } from '../errors';
import type { AdminSecrets } from '../secrets';
import { actionOf, allows, builtInRole, type EndpointPermission } from './permissions';
import { roleEntitiesMac, rolePermissionsMac, userMac, userRoleMac, type EndpointRow, type EntityPermission, type EntityRow, type UserRow } from './rows';
import { normalizeToken, verifyToken } from './tokens';

export interface AdminUser {
  readonly id: string;
  readonly name: string;
}

interface RoleLink {
  readonly role_id: string;
  readonly link_mac: string | null;
  readonly name: string;
  readonly is_default: boolean;
  readonly permissions_mac: string | null;
  readonly entities_mac: string | null;
}

/** What a user's verified roles grant. */
export interface Grants {
  readonly endpoints: readonly EndpointPermission[];
  readonly entities: readonly EntityPermission[];
  /** The user's default role (named after the user), which entities the user creates join. */
  readonly defaultRoleId: string | undefined;
}

/** The RBAC user of the current Admin API request and what their roles grant (read once per request). */
export interface RbacRequest {
  readonly user: AdminUser;
  readonly grants: Grants;
}

const NOTHING: Grants = { endpoints: [], entities: [], defaultRoleId: undefined };

const CACHE_LIMIT = 1000;

const verified = (stored: string | null, expected: string): boolean => stored !== null && constantTimeEqual(stored, expected);

/**
 * Who is calling and may they: reads the user and its roles from the tables on every request
 * (a revoked token stops working at once on every node, whatever the bus delivers), and accepts
 * only rows whose MAC verifies. The only thing remembered is which stored hash a token already
 * matched (scrypt is slow on purpose); any RBAC change announced on the bus drops it.
 */
export class RbacAuthenticator {
  /** Set by the Admin API around each request once the token is checked. */
  readonly requests = new AsyncLocalStorage<RbacRequest>();
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
  async authorize(user: AdminUser, method: string, path: string, grants?: Grants): Promise<void> {
    const action = actionOf(method);
    if (!allows((grants ?? (await this.grantsOf(user))).endpoints, path, action)) throw forbidden(user.name, action);
  }

  /**
   * The permissions of every role linked to the user by a verified row. A role whose endpoint
   * or entity permissions fail their MAC makes the user's grants empty (fails closed): skipping
   * just that role would lift the denies it holds.
   */
  async grantsOf(user: AdminUser): Promise<Grants> {
    const links = (
      await this.db.query<RoleLink & Record<string, unknown>>(
        `SELECT ur.role_id, ur.mac AS link_mac, r.name, r.is_default, r.permissions_mac, r.entities_mac
           FROM rbac_user_roles ur JOIN rbac_roles r ON r.id = ur.role_id WHERE ur.user_id = $1`,
        [user.id],
      )
    ).rows.filter((link) => {
      if (link.link_mac && constantTimeEqual(link.link_mac, userRoleMac(this.secrets, user.id, link.role_id))) return true;
      this.#warnOnce(`link:${user.id}:${link.role_id}`, { table: 'rbac_user_roles', user_id: user.id, role_id: link.role_id }, 'RBAC user-role row fails its MAC (changed outside Keygate); ignored');
      return false;
    });
    if (links.length === 0) return NOTHING;
    const ids = links.map((l) => l.role_id);
    const [endpointRows, entityRows] = await Promise.all([
      this.db.query<EndpointRow & Record<string, unknown>>('SELECT * FROM rbac_role_endpoints WHERE role_id = ANY($1::uuid[])', [ids]),
      this.db.query<EntityRow & Record<string, unknown>>('SELECT * FROM rbac_role_entities WHERE role_id = ANY($1::uuid[])', [ids]),
    ]);
    const endpoints: EndpointPermission[] = [];
    const entities: EntityPermission[] = [];
    let defaultRoleId: string | undefined;
    for (const link of links) {
      const role = { id: link.role_id, name: link.name };
      const ownEndpoints = endpointRows.rows.filter((e) => e.role_id === role.id).map(({ workspace, endpoint, actions, negative }) => ({ workspace, endpoint, actions, negative }));
      const ownEntities = entityRows.rows.filter((e) => e.role_id === role.id).map(({ entity_id, entity_type, actions, negative }) => ({ entity_id, entity_type, actions, negative }));
      const builtIn = builtInRole(role.id);
      // A built-in role's permissions are in code; any row for it was written outside Keygate.
      const endpointsOk = builtIn ? ownEndpoints.length === 0 : verified(link.permissions_mac, rolePermissionsMac(this.secrets, role, ownEndpoints));
      // A role made before entity permissions existed has no entities MAC and no entity rows.
      const entitiesOk = builtIn || link.entities_mac === null ? ownEntities.length === 0 : verified(link.entities_mac, roleEntitiesMac(this.secrets, role, ownEntities));
      if (!endpointsOk || !entitiesOk) {
        this.#warnOnce(`role:${role.id}`, { table: endpointsOk ? 'rbac_role_entities' : 'rbac_role_endpoints', role_id: role.id }, "RBAC role's permissions fail their MAC (a row changed outside Keygate); the user's roles grant nothing");
        return NOTHING;
      }
      endpoints.push(...(builtIn ? builtIn.permissions : ownEndpoints));
      entities.push(...(builtIn ? builtIn.entities : ownEntities));
      if (link.is_default && link.name === user.name) defaultRoleId = role.id;
    }
    return { endpoints, entities, defaultRoleId };
  }

  #warnOnce(key: string, fields: Record<string, string>, message: string): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.logger.warn(fields, message);
  }
}
