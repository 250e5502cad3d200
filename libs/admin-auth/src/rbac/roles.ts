import { randomUUID } from 'node:crypto';
import { UniqueViolationError, type Database, type Queryable } from '@keygate/db';
import { constantTimeEqual } from '@keygate/crypto';
import { rbacBadRequest, rbacConflict, rbacNotFound, tamperedRole } from '../errors';
import type { AdminSecrets } from '../secrets';
import { announceRbacChange } from './changes';
import { entitiesMap } from './entities';
import { RbacState } from './state';
import { actionNames, builtInRole, normalizeEndpoint, parseActions, type EndpointPermission } from './permissions';
import { roleEntitiesMac, rolePermissionsMac, roleView, type EndpointRow, type EntityPermission, type RoleRow } from './rows';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface EndpointInput {
  readonly workspace?: unknown;
  readonly endpoint?: unknown;
  readonly actions?: unknown;
  readonly negative?: unknown;
  readonly comment?: unknown;
}

function workspaceOf(value: unknown): string {
  const ws = value === undefined || value === '' ? 'default' : String(value);
  // Keygate has one workspace; Kong's `*` (all workspaces) means the same here.
  if (ws !== 'default' && ws !== '*') throw rbacNotFound(`Workspace ${ws} does not exist`);
  return ws;
}

const negativeOf = (value: unknown): boolean => value === true || value === 'true';

const endpointView = (e: EndpointRow) => ({
  role: { id: e.role_id },
  workspace: e.workspace,
  endpoint: e.endpoint,
  actions: actionNames(e.actions),
  negative: e.negative,
  comment: e.comment,
  created_at: Math.floor(e.created_at.getTime() / 1000),
});

/** Kong's `{"endpoints":{"<ws>":{"<endpoint>":{"actions":[…],"negative":…}}},"entities":{"<id>":{…}}}`. */
export function permissionsMap(permissions: readonly EndpointPermission[], entities: readonly EntityPermission[] = []) {
  const endpoints: Record<string, Record<string, { actions: string[]; negative: boolean }>> = {};
  for (const p of permissions) (endpoints[p.workspace] ??= {})[p.endpoint] = { actions: actionNames(p.actions), negative: p.negative };
  return { endpoints, entities: entitiesMap(entities) };
}

/**
 * `/rbac/roles` and their endpoint permissions. Every change to a role's permissions rewrites
 * the role's MAC over the whole set, under the role row's lock. Built-in roles are read-only.
 */
export class RbacRoles {
  readonly #state: RbacState;

  constructor(
    private readonly db: Database,
    private readonly secrets: AdminSecrets,
  ) {
    this.#state = new RbacState(db, secrets);
  }

  async find(q: Queryable, nameOrId: string, lock = false): Promise<RoleRow> {
    const column = UUID.test(nameOrId) ? 'id' : 'name';
    const row = (await q.query<RoleRow & Record<string, unknown>>(`SELECT * FROM rbac_roles WHERE ${column} = $1${lock ? ' FOR UPDATE' : ''}`, [nameOrId])).rows[0];
    if (!row) throw rbacNotFound('Not found');
    return row;
  }

  async list() {
    return (await this.db.query<RoleRow & Record<string, unknown>>('SELECT * FROM rbac_roles WHERE NOT is_default ORDER BY created_at, name')).rows.map(roleView);
  }

  async get(nameOrId: string) {
    return roleView(await this.find(this.db, nameOrId));
  }

  async create(input: { name?: unknown; comment?: unknown }, id: string = randomUUID()) {
    if (typeof input.name !== 'string' || input.name.trim() === '') throw rbacBadRequest('name: required field missing');
    const name = input.name.trim();
    return this.db.transaction(async (tx) => {
      const epoch = await this.#state.lock(tx);
      try {
        await tx.query('INSERT INTO rbac_roles (id, name, comment, permissions_mac, entities_mac, epoch) VALUES ($1, $2, $3, $4, $5, $6)', [
          id,
          name,
          typeof input.comment === 'string' ? input.comment : null,
          rolePermissionsMac(this.secrets, { id, name }, [], epoch),
          roleEntitiesMac(this.secrets, { id, name }, [], epoch),
          epoch,
        ]);
      } catch (err) {
        if (err instanceof UniqueViolationError) throw rbacConflict(`UNIQUE violation detected on '{name="${name}"}'`);
        throw err;
      }
      await announceRbacChange(tx, 'rbac_roles', id);
      return roleView(await this.find(tx, id));
    });
  }

  /**
   * Kong's PUT: creates the role named (or with the id) in the path, or replaces its comment.
   * The name is covered by the role's MACs, so a PUT that would rename it is refused.
   */
  async upsert(nameOrId: string, input: { name?: unknown; comment?: unknown }): Promise<{ created: boolean; role: ReturnType<typeof roleView> }> {
    const byId = UUID.test(nameOrId);
    const existing = (await this.db.query<RoleRow & Record<string, unknown>>(`SELECT * FROM rbac_roles WHERE ${byId ? 'id' : 'name'} = $1`, [nameOrId])).rows[0];
    const name = input.name === undefined ? (byId ? existing?.name : nameOrId) : input.name;
    if (existing) {
      if (name !== existing.name) throw rbacBadRequest('name: a role cannot be renamed (its permissions are signed with its name); create a new role');
      return { created: false, role: await this.update(existing.id, { comment: input.comment ?? null }) };
    }
    if (!byId && name !== nameOrId) throw rbacBadRequest(`name: must be '${nameOrId}' (the name in the path) or absent`);
    return { created: true, role: await this.create({ name, comment: input.comment }, byId ? nameOrId.toLowerCase() : randomUUID()) };
  }

  async update(nameOrId: string, input: { comment?: unknown }) {
    return this.db.transaction(async (tx) => {
      const role = await this.find(tx, nameOrId, true);
      // The name is covered by the permissions MAC; renaming is refused rather than re-signed blindly.
      if (input.comment !== undefined) await tx.query(`UPDATE rbac_roles SET comment = $2, updated_at = date_trunc('second', now()) WHERE id = $1`, [role.id, input.comment === null ? null : String(input.comment)]);
      await announceRbacChange(tx, 'rbac_roles', role.id);
      return roleView(await this.find(tx, role.id));
    });
  }

  async delete(nameOrId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const epoch = await this.#state.lock(tx);
      const role = await this.find(tx, nameOrId, true);
      this.#refuseBuiltIn(role);
      await tx.query('DELETE FROM rbac_roles WHERE id = $1', [role.id]);
      await this.#state.bump(tx, epoch);
      await announceRbacChange(tx, 'rbac_roles', role.id);
    });
  }

  /** A role's endpoint permissions: from code for built-in roles, else the rows. */
  async permissions(nameOrId: string): Promise<EndpointPermission[]> {
    const role = await this.find(this.db, nameOrId);
    const builtIn = builtInRole(role.id);
    if (builtIn) return [...builtIn.permissions];
    return (await this.#endpoints(this.db, role.id)).map(({ workspace, endpoint, actions, negative }) => ({ workspace, endpoint, actions, negative }));
  }

  async listEndpoints(nameOrId: string) {
    const role = await this.find(this.db, nameOrId);
    const builtIn = builtInRole(role.id);
    if (builtIn) return builtIn.permissions.map((p) => ({ role: { id: role.id }, ...p, actions: actionNames(p.actions), comment: null, created_at: Math.floor(role.created_at.getTime() / 1000) }));
    return (await this.#endpoints(this.db, role.id)).map(endpointView);
  }

  async addEndpoint(nameOrId: string, input: EndpointInput) {
    if (typeof input.endpoint !== 'string' || input.endpoint.trim() === '') throw rbacBadRequest("'endpoint' is a required field");
    const workspace = workspaceOf(input.workspace);
    const endpoint = normalizeEndpoint(input.endpoint);
    const actions = parseActions(input.actions);
    // A deny narrows what a role grants: a revocation (a copy without it must not verify later).
    return this.#changeEndpoints(nameOrId, negativeOf(input.negative), async (tx, role) => {
      try {
        await tx.query('INSERT INTO rbac_role_endpoints (role_id, workspace, endpoint, actions, negative, comment) VALUES ($1, $2, $3, $4, $5, $6)', [
          role.id,
          workspace,
          endpoint,
          actions,
          negativeOf(input.negative),
          typeof input.comment === 'string' ? input.comment : null,
        ]);
      } catch (err) {
        if (err instanceof UniqueViolationError) throw rbacConflict(`UNIQUE violation detected on '{endpoint="${endpoint}",workspace="${workspace}"}'`);
        throw err;
      }
      return { workspace, endpoint };
    });
  }

  async getEndpoint(nameOrId: string, workspace: string, endpoint: string) {
    const role = await this.find(this.db, nameOrId);
    const found = (await this.#endpoints(this.db, role.id)).find((e) => e.workspace === workspace && e.endpoint === normalizeEndpoint(endpoint));
    if (!found) throw rbacNotFound('Not found');
    return endpointView(found);
  }

  async updateEndpoint(nameOrId: string, workspace: string, endpoint: string, input: EndpointInput) {
    return this.#changeEndpoints(nameOrId, true, async (tx, role) => {
      const sets: string[] = [];
      const values: unknown[] = [role.id, workspace, normalizeEndpoint(endpoint)];
      if (input.actions !== undefined) sets.push(`actions = $${values.push(parseActions(input.actions))}`);
      if (input.negative !== undefined) sets.push(`negative = $${values.push(negativeOf(input.negative))}`);
      if (input.comment !== undefined) sets.push(`comment = $${values.push(input.comment === null ? null : String(input.comment))}`);
      const updated = sets.length === 0 ? 1 : (await tx.query(`UPDATE rbac_role_endpoints SET ${sets.join(', ')} WHERE role_id = $1 AND workspace = $2 AND endpoint = $3`, values)).rowCount;
      if (!updated) throw rbacNotFound('Not found');
      return { workspace, endpoint: normalizeEndpoint(endpoint) };
    });
  }

  async deleteEndpoint(nameOrId: string, workspace: string, endpoint: string): Promise<void> {
    await this.#changeEndpoints(nameOrId, true, async (tx, role) => {
      const deleted = await tx.query('DELETE FROM rbac_role_endpoints WHERE role_id = $1 AND workspace = $2 AND endpoint = $3', [role.id, workspace, normalizeEndpoint(endpoint)]);
      if (!deleted.rowCount) throw rbacNotFound('Not found');
      return undefined;
    });
  }

  /**
   * Locks the role, checks its permission set still verifies (re-signing rows a database writer
   * added would adopt them), applies `change`, signs the role again over its whole set, and
   * moves the RBAC epoch on for a `revocation`.
   */
  async #changeEndpoints<T extends { workspace: string; endpoint: string } | undefined>(nameOrId: string, revocation: boolean, change: (tx: Queryable, role: RoleRow) => Promise<T>) {
    return this.db.transaction(async (tx) => {
      const epoch = await this.#state.lock(tx);
      const role = await this.find(tx, nameOrId, true);
      this.#refuseBuiltIn(role);
      const before = await this.#endpoints(tx, role.id);
      if (Number(role.epoch) !== epoch || !role.permissions_mac || !constantTimeEqual(role.permissions_mac, rolePermissionsMac(this.secrets, role, before, epoch))) throw tamperedRole(role.name);
      const key = await change(tx, role);
      const endpoints = await this.#endpoints(tx, role.id);
      await tx.query('UPDATE rbac_roles SET permissions_mac = $2 WHERE id = $1', [role.id, rolePermissionsMac(this.secrets, role, endpoints, epoch)]);
      if (revocation) await this.#state.bump(tx, epoch);
      await announceRbacChange(tx, 'rbac_roles', role.id);
      const row = key && endpoints.find((e) => e.workspace === key.workspace && e.endpoint === key.endpoint);
      return row ? endpointView(row) : undefined;
    });
  }

  async #endpoints(q: Queryable, roleId: string): Promise<EndpointRow[]> {
    return (await q.query<EndpointRow & Record<string, unknown>>('SELECT * FROM rbac_role_endpoints WHERE role_id = $1 ORDER BY workspace, endpoint', [roleId])).rows;
  }

  #refuseBuiltIn(role: RoleRow): void {
    if (builtInRole(role.id)) throw rbacBadRequest(`'${role.name}' is a built-in role; its permissions cannot be changed (create a role of your own)`);
  }
}
