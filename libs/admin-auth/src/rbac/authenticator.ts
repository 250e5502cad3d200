import { AsyncLocalStorage } from 'node:async_hooks';
import { constantTimeEqual } from '@keygate/crypto';
import type { Database } from '@keygate/db';
import type { Logger } from '@keygate/logging';
import { forbidden, invalidCredentials } from '../errors';
import type { AdminSecrets } from '../secrets';
import { actionOf, allows, builtInRole, type EndpointPermission } from './permissions';
import { roleEntitiesMac, rolePermissionsMac, userMac, userRoleMac, type EntityPermission, type UserRow } from './rows';
import { RbacState } from './state';
import { normalizeToken, verifyToken } from './tokens';

export interface AdminUser {
  readonly id: string;
  readonly name: string;
}

interface RoleLink {
  readonly role_id: string;
  readonly link_mac: string | null;
  readonly link_epoch: string | null;
  readonly name: string;
  readonly is_default: boolean;
  readonly permissions_mac: string | null;
  readonly entities_mac: string | null;
  readonly role_epoch: string | null;
  readonly endpoints: EndpointPermission[];
  readonly entities: EntityPermission[];
}

/** `rbac_state` joined into a read. */
interface StateColumns {
  readonly state_epoch: string | null;
  readonly state_mac: string | null;
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
  readonly #state: RbacState;
  /** The highest RBAC epoch this node has seen. */
  #highest = 0;
  readonly #warned = new Set<string>();

  constructor(
    private readonly db: Database,
    private readonly secrets: AdminSecrets,
    private readonly logger: Logger,
  ) {
    this.#state = new RbacState(db, secrets);
  }

  /** Forget every verified token (an RBAC change was announced). */
  forget(): void {
    this.#verified.clear();
  }

  /** The user a token belongs to; Kong's 401 for anything else. */
  async authenticate(raw: string | undefined): Promise<AdminUser> {
    const token = raw === undefined ? '' : normalizeToken(raw);
    if (token === '') throw invalidCredentials();
    const ident = this.secrets.tokenIdent(token);
    // The state row in the same statement: one snapshot, whatever a concurrent revocation does.
    const user = (
      await this.db.query<UserRow & StateColumns & Record<string, unknown>>(
        'SELECT u.*, s.epoch AS state_epoch, s.mac AS state_mac FROM rbac_users u LEFT JOIN rbac_state s ON s.id WHERE u.user_token_ident = $1 AND u.enabled',
        [ident],
      )
    ).rows[0];
    if (!user) throw invalidCredentials();
    const epoch = this.#epoch(user);
    if (epoch === undefined) throw invalidCredentials();
    if (Number(user.epoch) !== epoch || !verified(user.mac, userMac(this.secrets, user, epoch))) {
      this.#warnOnce(`user:${user.id}:${epoch}`, { table: 'rbac_users', id: user.id }, 'RBAC user row fails its MAC (changed outside Keygate, or restored from before a revocation); refused');
      throw invalidCredentials();
    }
    if (this.#verified.get(ident) !== user.user_token) {
      if (!(await verifyToken(token, user.user_token))) throw invalidCredentials();
      if (this.#verified.size >= CACHE_LIMIT) this.#verified.clear();
      this.#verified.set(ident, user.user_token);
    }
    return { id: user.id, name: user.name };
  }

  /**
   * The RBAC epoch of a read, if its state row verifies and is not older than one this node
   * has seen (a state row rolled back with the rows of its time is refused while a node that
   * saw a later one runs).
   */
  #epoch(row: StateColumns): number | undefined {
    const epoch = this.#state.verify(row.state_epoch, row.state_mac);
    const problem = epoch instanceof Error ? epoch.message : epoch < this.#highest ? `the RBAC state went back from epoch ${this.#highest} to ${epoch} (restored from an old copy)` : undefined;
    if (problem !== undefined || epoch instanceof Error) {
      this.#warnOnce(`state:${problem}`, { table: 'rbac_state' }, `${problem}; every RBAC request is refused`);
      return undefined;
    }
    this.#highest = Math.max(this.#highest, epoch);
    return epoch;
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
    // One statement: the links, the roles, their permission rows and the state in one snapshot.
    const rows = (
      await this.db.query<RoleLink & StateColumns & Record<string, unknown>>(
        `SELECT ur.role_id, ur.mac AS link_mac, ur.epoch AS link_epoch, r.name, r.is_default, r.permissions_mac, r.entities_mac, r.epoch AS role_epoch,
                s.epoch AS state_epoch, s.mac AS state_mac,
                (SELECT coalesce(json_agg(json_build_object('workspace', e.workspace, 'endpoint', e.endpoint, 'actions', e.actions, 'negative', e.negative)), '[]')
                   FROM rbac_role_endpoints e WHERE e.role_id = r.id) AS endpoints,
                (SELECT coalesce(json_agg(json_build_object('entity_id', e.entity_id, 'entity_type', e.entity_type, 'actions', e.actions, 'negative', e.negative)), '[]')
                   FROM rbac_role_entities e WHERE e.role_id = r.id) AS entities
           FROM rbac_user_roles ur JOIN rbac_roles r ON r.id = ur.role_id LEFT JOIN rbac_state s ON s.id
          WHERE ur.user_id = $1`,
        [user.id],
      )
    ).rows;
    const first = rows[0];
    const epoch = first && this.#epoch(first);
    if (epoch === undefined) return NOTHING;
    const links = rows.filter((link) => {
      if (Number(link.link_epoch) === epoch && verified(link.link_mac, userRoleMac(this.secrets, user.id, link.role_id, epoch))) return true;
      this.#warnOnce(`link:${user.id}:${link.role_id}:${epoch}`, { table: 'rbac_user_roles', user_id: user.id, role_id: link.role_id }, 'RBAC user-role row fails its MAC (changed outside Keygate, or restored from before a revocation); ignored');
      return false;
    });
    const endpoints: EndpointPermission[] = [];
    const entities: EntityPermission[] = [];
    let defaultRoleId: string | undefined;
    for (const link of links) {
      const role = { id: link.role_id, name: link.name };
      const ownEndpoints = link.endpoints;
      const ownEntities = link.entities;
      const builtIn = builtInRole(role.id);
      const current = Number(link.role_epoch) === epoch;
      // A built-in role's permissions are in code; any row for it was written outside Keygate.
      const endpointsOk = builtIn ? ownEndpoints.length === 0 : current && verified(link.permissions_mac, rolePermissionsMac(this.secrets, role, ownEndpoints, epoch));
      // A role made before entity permissions existed has no entities MAC and no entity rows.
      const entitiesOk = builtIn || link.entities_mac === null ? ownEntities.length === 0 : current && verified(link.entities_mac, roleEntitiesMac(this.secrets, role, ownEntities, epoch));
      if (!endpointsOk || !entitiesOk) {
        this.#warnOnce(`role:${role.id}:${epoch}`, { table: endpointsOk ? 'rbac_role_entities' : 'rbac_role_endpoints', role_id: role.id }, "RBAC role's permissions fail their MAC (a row changed outside Keygate); the user's roles grant nothing");
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
