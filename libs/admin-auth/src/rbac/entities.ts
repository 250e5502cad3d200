import { quoteIdent, UniqueViolationError, type Database, type Queryable } from '@keygate/db';
import { constantTimeEqual } from '@keygate/crypto';
import { rbacBadRequest, rbacConflict, rbacNotFound, tamperedRole } from '../errors';
import type { AdminSecrets } from '../secrets';
import { announceRbacChange } from './changes';
import { ACTION_BITS, ALL_ACTIONS, actionNames, builtInRole, parseActions, type Action } from './permissions';
import { roleEntitiesMac, type EntityPermission, type EntityRow, type RoleRow } from './rows';
import { RbacState } from './state';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UUID_SQL = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';

/** Whether an entity of a type exists (the app answers from its entity definitions). */
export type EntityExists = (type: string, id: string) => Promise<boolean>;

export interface EntityInput {
  readonly entity_id?: unknown;
  readonly entity_type?: unknown;
  readonly actions?: unknown;
  readonly negative?: unknown;
  readonly comment?: unknown;
}

const negativeOf = (value: unknown): boolean => value === true || value === 'true';
const commentOf = (value: unknown): string | null => (typeof value === 'string' ? value : null);

const entityView = (e: EntityRow) => ({
  role: { id: e.role_id },
  entity_id: e.entity_id,
  entity_type: e.entity_type,
  actions: actionNames(e.actions),
  negative: e.negative,
  comment: e.comment,
  created_at: Math.floor(e.created_at.getTime() / 1000),
  updated_at: Math.floor(e.updated_at.getTime() / 1000),
});

/**
 * Kong's rule for one entity: the permissions naming its id decide first (a deny before an
 * allow), then those on `*`; nothing matching denies.
 */
export function allowsEntity(permissions: readonly EntityPermission[], id: string, action: Action): boolean {
  const bit = ACTION_BITS[action];
  for (const key of [id.toLowerCase(), '*']) {
    const matching = permissions.filter((p) => p.entity_id === key && (p.actions & bit) !== 0);
    if (matching.some((p) => p.negative)) return false;
    if (matching.length > 0) return true;
  }
  return false;
}

/** Kong's `"entities"` map of `/rbac/.../permissions`. */
export function entitiesMap(permissions: readonly EntityPermission[]) {
  const map: Record<string, { entity_type: string; actions: string[]; negative: boolean }> = {};
  for (const p of permissions) map[p.entity_id] = { entity_type: p.entity_type, actions: actionNames(p.actions), negative: p.negative };
  return map;
}

/**
 * `/rbac/roles/{role}/entities`: entity-level permissions. Every change rewrites the role's
 * `entities_mac` over its whole set under the role row's lock, as endpoint permissions do.
 * Entities a user creates are registered to the user's default role (all actions), and an
 * entity's permissions go when the entity does.
 */
export class RbacRoleEntities {
  readonly #state: RbacState;

  constructor(
    private readonly db: Database,
    private readonly secrets: AdminSecrets,
  ) {
    this.#state = new RbacState(db, secrets);
  }

  async list(roleId: string) {
    return (await this.#rows(this.db, roleId)).map(entityView);
  }

  /** For `/permissions`: the stored rows (`/rbac/users/{u}/permissions` shows only verified ones). */
  async permissions(roleId: string): Promise<EntityPermission[]> {
    const builtIn = builtInRole(roleId);
    if (builtIn) return [...builtIn.entities];
    return (await this.#rows(this.db, roleId)).map(({ entity_id, entity_type, actions, negative }) => ({ entity_id, entity_type, actions, negative }));
  }

  async get(roleId: string, entityId: string) {
    const found = (await this.#rows(this.db, roleId)).find((e) => e.entity_id === entityId.toLowerCase());
    if (!found) throw rbacNotFound('Not found');
    return entityView(found);
  }

  async add(roleId: string, input: EntityInput, exists: EntityExists) {
    if (input.entity_id === undefined || input.entity_id === null || input.entity_id === '') throw rbacBadRequest("Missing required parameter: 'entity_id'");
    const entityId = String(input.entity_id).toLowerCase();
    const wildcard = entityId === '*';
    if (!wildcard && !UUID.test(entityId)) throw rbacBadRequest(`${entityId} is not a valid uuid`);
    if (!wildcard && (typeof input.entity_type !== 'string' || input.entity_type === '')) throw rbacBadRequest("Missing required parameter: 'entity_type'");
    const entityType = wildcard ? 'wildcard' : String(input.entity_type);
    if (!wildcard && !(await exists(entityType, entityId))) throw rbacBadRequest(`There is no entity of type '${entityType}' with given entity_id`);
    const actions = parseActions(input.actions);
    // A deny narrows what a role grants: a revocation (a copy without it must not verify later).
    return this.#change(roleId, negativeOf(input.negative), async (tx, role) => {
      try {
        await tx.query('INSERT INTO rbac_role_entities (role_id, entity_id, entity_type, actions, negative, comment) VALUES ($1, $2, $3, $4, $5, $6)', [
          role.id,
          entityId,
          entityType,
          actions,
          negativeOf(input.negative),
          commentOf(input.comment),
        ]);
      } catch (err) {
        if (err instanceof UniqueViolationError) throw rbacConflict(`UNIQUE violation detected on '{entity_id="${entityId}",role={id="${role.id}"}}'`);
        throw err;
      }
      return entityId;
    });
  }

  async update(roleId: string, entityId: string, input: EntityInput) {
    return this.#change(roleId, true, async (tx, role) => {
      const sets: string[] = [`updated_at = date_trunc('second', now())`];
      const values: unknown[] = [role.id, entityId.toLowerCase()];
      if (input.actions !== undefined) sets.push(`actions = $${values.push(parseActions(input.actions))}`);
      if (input.negative !== undefined) sets.push(`negative = $${values.push(negativeOf(input.negative))}`);
      if (input.comment !== undefined) sets.push(`comment = $${values.push(commentOf(input.comment))}`);
      const updated = (await tx.query(`UPDATE rbac_role_entities SET ${sets.join(', ')} WHERE role_id = $1 AND entity_id = $2`, values)).rowCount;
      if (!updated) throw rbacNotFound('Not found');
      return entityId.toLowerCase();
    });
  }

  async delete(roleId: string, entityId: string): Promise<void> {
    await this.#change(roleId, true, async (tx, role) => {
      const deleted = await tx.query('DELETE FROM rbac_role_entities WHERE role_id = $1 AND entity_id = $2', [role.id, entityId.toLowerCase()]);
      if (!deleted.rowCount) throw rbacNotFound('Not found');
      return undefined;
    });
  }

  /** Kong: an entity a user creates goes into the user's default role with every action. */
  async registerOwned(tx: Queryable, defaultRoleId: string, type: string, id: string): Promise<void> {
    const epoch = await this.#state.lock(tx);
    // A default role that fails its MAC grants nothing anyway: the entity is made, not registered.
    await this.#resign(tx, defaultRoleId, epoch, async (role) => {
      await tx.query(
        `INSERT INTO rbac_role_entities (role_id, entity_id, entity_type, actions, negative) VALUES ($1, $2, $3, $4, FALSE)
         ON CONFLICT (role_id, entity_id) DO UPDATE SET entity_type = EXCLUDED.entity_type, actions = EXCLUDED.actions, negative = FALSE, updated_at = date_trunc('second', now())`,
        [role.id, id.toLowerCase(), type, ALL_ACTIONS],
      );
    });
  }

  /**
   * An entity was deleted: its permissions go from every role, and so do those of entities its
   * delete cascaded to (rows whose entity is no longer in its table), so a later entity with
   * the same id inherits nothing. Roles that fail their MAC are left as they are (they grant
   * nothing), so a database writer cannot block deletes by breaking one.
   */
  async forgetDeleted(tx: Queryable, types: readonly string[]): Promise<void> {
    const gone = this.#gone(types);
    const roles = (await tx.query<{ role_id: string }>(`SELECT DISTINCT e.role_id FROM rbac_role_entities e WHERE ${gone} ORDER BY e.role_id`, [types])).rows;
    if (roles.length === 0) return;
    const epoch = await this.#state.lock(tx);
    for (const { role_id } of roles) {
      await this.#resign(tx, role_id, epoch, async (role) => {
        await tx.query(`DELETE FROM rbac_role_entities e WHERE e.role_id = $2 AND ${gone}`, [types, role.id]);
      });
    }
    await this.#state.bump(tx, epoch);
  }

  /** `e` names an entity of one of `types` ($1) that is no longer in its table (a primary key lookup per row). */
  #gone(types: readonly string[]): string {
    const present = types.map(
      (t, i) => `(e.entity_type = ($1::text[])[${i + 1}] AND EXISTS (SELECT 1 FROM ${quoteIdent(t)} live WHERE live.id = (CASE WHEN e.entity_id ~ '${UUID_SQL}' THEN e.entity_id::uuid END)))`,
    );
    return `e.entity_type = ANY($1::text[]) AND NOT (${present.length > 0 ? present.join(' OR ') : 'FALSE'})`;
  }

  /** An API change of a role's entity permissions; a `revocation` moves the RBAC epoch on. */
  async #change<T extends string | undefined>(roleId: string, revocation: boolean, change: (tx: Queryable, role: RoleRow) => Promise<T>) {
    return this.db.transaction(async (tx) => {
      const epoch = await this.#state.lock(tx);
      let key: T | undefined;
      const rows = await this.#resign(tx, roleId, epoch, async (role) => {
        if (builtInRole(role.id)) throw rbacBadRequest(`'${role.name}' is a built-in role; its permissions cannot be changed (create a role of your own)`);
        key = await change(tx, role);
      });
      if (!rows) throw tamperedRole((await tx.query<{ name: string }>('SELECT name FROM rbac_roles WHERE id = $1', [roleId])).rows[0]?.name ?? roleId);
      if (revocation) await this.#state.bump(tx, epoch);
      const row = key && rows.find((e) => e.entity_id === key);
      return row ? entityView(row) : undefined;
    });
  }

  /**
   * Locks the role and checks its entity set still verifies in `epoch` (re-signing rows a
   * database writer added would adopt them; undefined, nothing changed, when it does not);
   * applies `change`, signs the set again and announces it.
   */
  async #resign(tx: Queryable, roleId: string, epoch: number, change: (role: RoleRow) => Promise<void>): Promise<EntityRow[] | undefined> {
    const role = (await tx.query<RoleRow & Record<string, unknown>>('SELECT * FROM rbac_roles WHERE id = $1 FOR UPDATE', [roleId])).rows[0];
    if (!role) throw rbacNotFound('Not found');
    const before = await this.#rows(tx, role.id);
    const intact = builtInRole(role.id)
      ? before.length === 0
      : Number(role.epoch) === epoch && (role.entities_mac === null ? before.length === 0 : constantTimeEqual(role.entities_mac, roleEntitiesMac(this.secrets, role, before, epoch)));
    if (!intact) return undefined;
    await change(role);
    const rows = await this.#rows(tx, role.id);
    await tx.query('UPDATE rbac_roles SET entities_mac = $2 WHERE id = $1', [role.id, roleEntitiesMac(this.secrets, role, rows, epoch)]);
    await announceRbacChange(tx, 'rbac_role_entities', role.id);
    return rows;
  }

  async #rows(q: Queryable, roleId: string): Promise<EntityRow[]> {
    return (await q.query<EntityRow & Record<string, unknown>>('SELECT * FROM rbac_role_entities WHERE role_id = $1 ORDER BY entity_id', [roleId])).rows;
  }
}
