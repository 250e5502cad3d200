import type { Request, Router } from 'express';
import { permissionsMap, type EntityExists, type RbacAuthenticator, type RbacRoleEntities, type RbacRoles, type RbacUsers } from '@keygate/admin-auth';
import { param, route } from './route';

const body = (req: Request): Record<string, unknown> => (req.body ?? {}) as Record<string, unknown>;

/** Roles to add or remove: the body's `roles`, or the query's for a DELETE without a body. */
const roleNames = (req: Request): unknown => body(req).roles ?? req.query.roles;

/** The rest of the path after `/endpoints/{workspace}`: the endpoint, which may contain `/`. */
function endpointOf(req: Request): string {
  const rest = req.params.endpoint;
  return `/${Array.isArray(rest) ? rest.join('/') : String(rest ?? '')}`;
}

export interface RbacRouteDeps {
  readonly users: RbacUsers;
  readonly roles: RbacRoles;
  readonly roleEntities: RbacRoleEntities;
  readonly authenticator: RbacAuthenticator;
  /** Whether an entity of a type exists (for entity permissions). */
  readonly exists: EntityExists;
}

/** Kong Enterprise's `/rbac/users` and `/rbac/roles` (one workspace: `default`, `*` for all). */
export function rbacRoutes(router: Router, { users, roles, roleEntities, authenticator, exists }: RbacRouteDeps): void {
  const roleId = async (req: Request) => (await roles.get(param(req, 'role'))).id;
  route(router, '/rbac/users', {
    get: async (_req, res) => void res.json({ data: await users.list(), next: null }),
    post: async (req, res) => void res.status(201).json(await users.create(body(req))),
  });
  route(router, '/rbac/users/:user', {
    get: async (req, res) => void res.json(await users.get(param(req, 'user'))),
    patch: async (req, res) => void res.json(await users.update(param(req, 'user'), body(req))),
    delete: async (req, res) => {
      await users.delete(param(req, 'user'));
      res.status(204).end();
    },
  });
  route(router, '/rbac/users/:user/roles', {
    get: async (req, res) => void res.json(await users.roles(param(req, 'user'))),
    post: async (req, res) => void res.status(201).json(await users.addRoles(param(req, 'user'), roleNames(req))),
    delete: async (req, res) => {
      await users.removeRoles(param(req, 'user'), roleNames(req));
      res.status(204).end();
    },
  });
  route(router, '/rbac/users/:user/permissions', {
    get: async (req, res) => {
      const grants = await authenticator.grantsOf(await users.get(param(req, 'user')));
      res.json(permissionsMap(grants.endpoints, grants.entities));
    },
  });
  route(router, '/rbac/roles', {
    get: async (_req, res) => void res.json({ data: await roles.list(), next: null }),
    post: async (req, res) => void res.status(201).json(await roles.create(body(req))),
  });
  route(router, '/rbac/roles/:role', {
    get: async (req, res) => void res.json(await roles.get(param(req, 'role'))),
    patch: async (req, res) => void res.json(await roles.update(param(req, 'role'), body(req))),
    put: async (req, res) => {
      const { created, role } = await roles.upsert(param(req, 'role'), body(req));
      res.status(created ? 201 : 200).json(role);
    },
    delete: async (req, res) => {
      await roles.delete(param(req, 'role'));
      res.status(204).end();
    },
  });
  route(router, '/rbac/roles/:role/permissions', {
    get: async (req, res) => void res.json(permissionsMap(await roles.permissions(param(req, 'role')), await roleEntities.permissions(await roleId(req)))),
  });
  route(router, '/rbac/roles/:role/entities', {
    get: async (req, res) => void res.json({ data: await roleEntities.list(await roleId(req)), next: null }),
    post: async (req, res) => void res.status(201).json(await roleEntities.add(await roleId(req), body(req), exists)),
  });
  route(router, '/rbac/roles/:role/entities/:entity', {
    get: async (req, res) => void res.json(await roleEntities.get(await roleId(req), param(req, 'entity'))),
    patch: async (req, res) => void res.json(await roleEntities.update(await roleId(req), param(req, 'entity'), body(req))),
    delete: async (req, res) => {
      await roleEntities.delete(await roleId(req), param(req, 'entity'));
      res.status(204).end();
    },
  });
  route(router, '/rbac/roles/:role/endpoints', {
    get: async (req, res) => void res.json({ data: await roles.listEndpoints(param(req, 'role')), next: null }),
    post: async (req, res) => void res.status(201).json(await roles.addEndpoint(param(req, 'role'), body(req))),
  });
  route(router, '/rbac/roles/:role/endpoints/:workspace/*endpoint', {
    get: async (req, res) => void res.json(await roles.getEndpoint(param(req, 'role'), param(req, 'workspace'), endpointOf(req))),
    patch: async (req, res) => void res.json(await roles.updateEndpoint(param(req, 'role'), param(req, 'workspace'), endpointOf(req), body(req))),
    delete: async (req, res) => {
      await roles.deleteEndpoint(param(req, 'role'), param(req, 'workspace'), endpointOf(req));
      res.status(204).end();
    },
  });
}
