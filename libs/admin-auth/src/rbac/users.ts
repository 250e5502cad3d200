import { randomUUID } from 'node:crypto';
import { UniqueViolationError, type Database, type Queryable } from '@keygate/db';
import { rbacBadRequest, rbacConflict, rbacNotFound } from '../errors';
import type { AdminSecrets } from '../secrets';
import { announceRbacChange } from './changes';
import { BUILT_IN_ROLES } from './permissions';
import { roleEntitiesMac, rolePermissionsMac, userMac, userRoleMac, userView, roleView, type RoleRow, type UserRow } from './rows';
import { RbacState } from './state';
import { hashToken, normalizeToken } from './tokens';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface UserInput {
  readonly name?: unknown;
  readonly user_token?: unknown;
  readonly comment?: unknown;
  readonly enabled?: unknown;
}

function text(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') throw rbacBadRequest(`'${field}' must be a non-empty string`);
  return value;
}

function flag(value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw rbacBadRequest("'enabled' must be true or false");
}

/** `/rbac/users`: each write MACs the row and announces the change (a hint; nodes read the row again). */
export class RbacUsers {
  readonly #state: RbacState;

  constructor(
    private readonly db: Database,
    private readonly secrets: AdminSecrets,
  ) {
    this.#state = new RbacState(db, secrets);
  }

  async find(q: Queryable, nameOrId: string): Promise<UserRow> {
    const column = UUID.test(nameOrId) ? 'id' : 'name';
    const row = (await q.query<UserRow & Record<string, unknown>>(`SELECT * FROM rbac_users WHERE ${column} = $1`, [nameOrId])).rows[0];
    if (!row) throw rbacNotFound(`No RBAC user by name or id ${nameOrId}`);
    return row;
  }

  async list(): Promise<ReturnType<typeof userView>[]> {
    return (await this.db.query<UserRow & Record<string, unknown>>('SELECT * FROM rbac_users ORDER BY created_at, name')).rows.map(userView);
  }

  async get(nameOrId: string) {
    return userView(await this.find(this.db, nameOrId));
  }

  /** Kong: a new user is linked to the role with its own name, made as its default role if none exists. */
  async create(input: UserInput, q?: Queryable) {
    const name = text(input.name, 'name');
    const token = text(input.user_token, 'user_token');
    if (!name || !token) throw rbacBadRequest(`${!name ? 'name' : 'user_token'}: required field missing`);
    const row = await this.#tokenFields(token);
    const id = randomUUID();
    const enabled = flag(input.enabled) ?? true;
    const run = async (tx: Queryable) => {
      const epoch = await this.#state.lock(tx);
      const mac = userMac(this.secrets, { id, name, enabled, ...row }, epoch);
      try {
        await tx.query('INSERT INTO rbac_users (id, name, user_token, user_token_ident, comment, enabled, mac, epoch) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
          id,
          name,
          row.user_token,
          row.user_token_ident,
          text(input.comment, 'comment') ?? null,
          enabled,
          mac,
          epoch,
        ]);
      } catch (err) {
        if (err instanceof UniqueViolationError) throw rbacConflict(`UNIQUE violation detected on '{name="${name}"}' or on its token`);
        throw err;
      }
      await this.#link(tx, id, (await this.#ownRole(tx, name, epoch)).id, epoch);
      await announceRbacChange(tx, 'rbac_users', id);
      return userView(await this.find(tx, id));
    };
    return q ? run(q) : this.db.transaction(run);
  }

  /** A revocation as far as replay goes (token, enabled, name): every RBAC row moves to the next epoch. */
  async update(nameOrId: string, input: UserInput) {
    return this.db.transaction(async (tx) => {
      const epoch = await this.#state.lock(tx);
      const current = await this.find(tx, nameOrId);
      const name = text(input.name, 'name') ?? current.name;
      const enabled = flag(input.enabled) ?? current.enabled;
      const token = text(input.user_token, 'user_token');
      const tokenFields = token ? await this.#tokenFields(token) : { user_token: current.user_token, user_token_ident: current.user_token_ident };
      const comment = input.comment === undefined ? current.comment : (text(input.comment, 'comment') ?? null);
      const mac = userMac(this.secrets, { id: current.id, name, enabled, ...tokenFields }, epoch);
      try {
        await tx.query(
          `UPDATE rbac_users SET name = $2, user_token = $3, user_token_ident = $4, comment = $5, enabled = $6, mac = $7, epoch = $8, updated_at = date_trunc('second', now()) WHERE id = $1`,
          [current.id, name, tokenFields.user_token, tokenFields.user_token_ident, comment, enabled, mac, epoch],
        );
      } catch (err) {
        if (err instanceof UniqueViolationError) throw rbacConflict(`UNIQUE violation detected on '{name="${name}"}' or on its token`);
        throw err;
      }
      await this.#state.bump(tx, epoch);
      await announceRbacChange(tx, 'rbac_users', current.id);
      return userView(await this.find(tx, current.id));
    });
  }

  async delete(nameOrId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const epoch = await this.#state.lock(tx);
      const user = await this.find(tx, nameOrId);
      await tx.query('DELETE FROM rbac_users WHERE id = $1', [user.id]);
      // Kong: the user's default role goes with the user unless someone else holds it.
      await tx.query(
        'DELETE FROM rbac_roles r WHERE r.name = $1 AND r.is_default AND NOT EXISTS (SELECT 1 FROM rbac_user_roles ur WHERE ur.role_id = r.id)',
        [user.name],
      );
      await this.#state.bump(tx, epoch);
      await announceRbacChange(tx, 'rbac_users', user.id);
    });
  }

  /** Kong's `{user, roles}` (default roles excluded). */
  async roles(nameOrId: string, q: Queryable = this.db) {
    const user = await this.find(q, nameOrId);
    const roles = (
      await q.query<RoleRow & Record<string, unknown>>('SELECT r.* FROM rbac_roles r JOIN rbac_user_roles ur ON ur.role_id = r.id WHERE ur.user_id = $1 AND NOT r.is_default ORDER BY r.name', [user.id])
    ).rows;
    return { user: userView(user), roles: roles.map((r) => { const { id, name, comment, created_at } = roleView(r); return { id, name, comment, created_at }; }) };
  }

  async addRoles(nameOrId: string, names: unknown) {
    return this.db.transaction(async (tx) => {
      const epoch = await this.#state.lock(tx);
      const user = await this.find(tx, nameOrId);
      for (const role of await this.#rolesNamed(tx, names)) await this.#link(tx, user.id, role.id, epoch);
      await announceRbacChange(tx, 'rbac_user_roles', user.id);
      return this.roles(user.id, tx);
    });
  }

  async removeRoles(nameOrId: string, names: unknown): Promise<void> {
    await this.db.transaction(async (tx) => {
      const epoch = await this.#state.lock(tx);
      const user = await this.find(tx, nameOrId);
      const roles = await this.#rolesNamed(tx, names);
      await tx.query('DELETE FROM rbac_user_roles WHERE user_id = $1 AND role_id = ANY($2::uuid[])', [user.id, roles.map((r) => r.id)]);
      await this.#state.bump(tx, epoch);
      await announceRbacChange(tx, 'rbac_user_roles', user.id);
    });
  }

  /**
   * Kong: a new user is linked to the role with its own name; made as the user's default role
   * (`is_default`, hidden from role lists) when there is none. Entities the user creates join it.
   */
  async #ownRole(tx: Queryable, name: string, epoch: number): Promise<{ id: string }> {
    const id = randomUUID();
    const made = await tx.query<{ id: string }>(
      'INSERT INTO rbac_roles (id, name, comment, is_default, permissions_mac, entities_mac, epoch) VALUES ($1, $2, $3, TRUE, $4, $5, $6) ON CONFLICT (name) DO NOTHING RETURNING id',
      [id, name, `Default user role generated for ${name}`, rolePermissionsMac(this.secrets, { id, name }, [], epoch), roleEntitiesMac(this.secrets, { id, name }, [], epoch), epoch],
    );
    return made.rows[0] ?? ((await tx.query<{ id: string }>('SELECT id FROM rbac_roles WHERE name = $1', [name])).rows[0] as { id: string });
  }

  async #link(tx: Queryable, userId: string, roleId: string, epoch: number): Promise<void> {
    await tx.query('INSERT INTO rbac_user_roles (user_id, role_id, mac, epoch) VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, role_id) DO UPDATE SET mac = EXCLUDED.mac, epoch = EXCLUDED.epoch', [
      userId,
      roleId,
      userRoleMac(this.secrets, userId, roleId, epoch),
      epoch,
    ]);
  }

  /** Kong's `roles=<comma-separated names>`. */
  async #rolesNamed(tx: Queryable, names: unknown): Promise<Array<{ id: string; name: string }>> {
    const list = (Array.isArray(names) ? names.map(String) : typeof names === 'string' ? names.split(',') : []).map((n) => n.trim()).filter((n) => n !== '');
    if (list.length === 0) throw rbacBadRequest('must provide >= 1 role');
    const found = (await tx.query<{ id: string; name: string }>('SELECT id, name FROM rbac_roles WHERE name = ANY($1::text[])', [list])).rows;
    for (const name of list) if (!found.some((r) => r.name === name)) throw rbacBadRequest(`role not found with name '${name}'`);
    return found;
  }

  async #tokenFields(token: string): Promise<{ user_token: string; user_token_ident: string }> {
    const normalized = normalizeToken(token);
    if (normalized === '') throw rbacBadRequest("'user_token' must be a non-empty string");
    return { user_token: await hashToken(normalized), user_token_ident: this.secrets.tokenIdent(normalized) };
  }
}

export const BUILT_IN_ROLE_IDS = new Set(BUILT_IN_ROLES.map((r) => r.id));
