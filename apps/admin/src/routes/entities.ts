import type { Request, Response, Router } from 'express';
import { collectionPath, type EntityDao, type EntityStore, type Page, type Relation, type Scope, type WriteOptions } from '@keygate/entities';
import { HttpError, pageBody } from '@keygate/http';
import type { Logger } from '@keygate/logging';
import type { EntityAccess } from '../entity-access';
import { param, route } from './route';

/** A write's options; with entity-level RBAC, every entity its body refers to must be readable (as a nested path's parent). */
const writeOptions = (req: Request, access: EntityAccess | undefined, scope?: Scope): WriteOptions => ({
  form: req.bodyKind === 'form',
  ...(scope ? { scope } : {}),
  ...(access ? { authorizeReference: (entity: string, id: string) => access.check(req, entity, id, 'read') } : {}),
});

function body(req: Request): Record<string, unknown> {
  return (req.body ?? {}) as Record<string, unknown>;
}

export interface EntityRoutesOptions {
  readonly logger: Logger;
  /** False while this node holds no encryption key: unreadable rows then fail the list (503). */
  readonly holdsKeys: () => boolean;
  /** Entity-level RBAC (`enforce_rbac = entity|both`); absent: no entity checks. */
  readonly access?: EntityAccess;
}

/** A page of `dao`, filtered to what the request's user may read when entity-level RBAC is on. */
function listPage(req: Request, dao: EntityDao, query: Record<string, unknown>, options: EntityRoutesOptions): Promise<Page> {
  const fetch = (q: Record<string, unknown>) => dao.page(q);
  return options.access ? options.access.page(req, dao.def.name, fetch, query) : fetch(query);
}

/**
 * A page with its unreadable rows left out (a tampered row must not take the whole list down),
 * each named in a warning. A node without any key fails instead: every encrypted row would be
 * missing, and a client syncing from the list would take it for the truth.
 */
function readablePage(page: Page, options: EntityRoutesOptions): Page {
  const [first] = page.skipped;
  if (!first) return page;
  if (first.code === 'ROW_KEY_NOT_AVAILABLE' && !options.holdsKeys()) throw first;
  options.logger.warn({ table: first.table, rows: page.skipped.map((row) => row.toJSON()) }, 'list skipped rows whose encrypted fields cannot be read');
  return page;
}

/**
 * `/services`, `/services/{services}` and the same for every entity; path parameters are named
 * after the entity, as Kong's `/endpoints` lists them.
 */
function collectionRoutes(router: Router, dao: EntityDao, options: EntityRoutesOptions): void {
  const name = collectionPath(dao.def);
  const key = dao.def.name;
  route(router, `/${name}`, {
    get: async (req, res) => {
      const match = await lookupFilter(dao, req, options);
      if (match) {
        res.json(match);
        return;
      }
      res.json(pageBody(readablePage(await listPage(req, dao, req.query, options), options), `/${name}`, req.query));
    },
    post: async (req, res) => {
      res.status(201).json(await dao.insert(body(req), writeOptions(req, options.access)));
    },
  });
  route(router, `/${name}/:${key}`, entityHandlers(dao, (req) => param(req, key), { deleteMissing: 204, access: options.access }));
}

/** Kong's `GET /consumers?custom_id=x`: the one match (or none, or one the token may not read) in a page of its own. */
async function lookupFilter(dao: EntityDao, req: Request, options: EntityRoutesOptions): Promise<Record<string, unknown> | undefined> {
  for (const field of dao.def.lookupFilters ?? []) {
    const value = req.query[field];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value === '') throw new HttpError(400, `${field} must be an unempty string`);
    const found = await dao.selectBy(field, value);
    const data = found ? [found] : [];
    return { data: options.access ? options.access.readable(data) : data, next: null };
  }
  return undefined;
}

/** GET/PATCH/PUT/DELETE of one entity, optionally inside a parent's scope. */
function entityHandlers(
  dao: EntityDao,
  idOf: (req: Request) => string,
  options: { deleteMissing: 204 | 404; scope?: (req: Request) => Promise<Scope>; access?: EntityAccess | undefined },
) {
  const scopeOf = async (req: Request) => {
    const scope = options.scope ? await options.scope(req) : undefined;
    await options.access?.checkNamed(req, dao, idOf(req), scope);
    return scope;
  };
  return {
    get: async (req: Request, res: Response) => {
      const scope = await scopeOf(req);
      const entity = await dao.select(idOf(req), scope);
      if (!entity) throw HttpError.notFound();
      res.json(entity);
    },
    patch: async (req: Request, res: Response) => {
      const scope = await scopeOf(req);
      const entity = await dao.update(idOf(req), body(req), writeOptions(req, options.access, scope));
      if (!entity) throw HttpError.notFound();
      res.json(entity);
    },
    put: async (req: Request, res: Response) => {
      const scope = await scopeOf(req);
      res.json(await dao.upsert(idOf(req), body(req), writeOptions(req, options.access, scope)));
    },
    delete: async (req: Request, res: Response) => {
      const deleted = await dao.delete(idOf(req), await scopeOf(req));
      // Kong: deleting a missing top-level entity is a no-op (204); a nested one is 404.
      if (!deleted && options.deleteMissing === 404) throw HttpError.notFound();
      res.status(204).end();
    },
  };
}

/**
 * Nested endpoints for a foreign key, as Kong generates them:
 * `/services/{s}/routes`, `/services/{s}/routes/{r}` and `/routes/{r}/service`.
 */
function relationRoutes(router: Router, store: EntityStore, relation: Relation, options: EntityRoutesOptions): void {
  const parent = store.dao(relation.parent.name);
  const child = store.dao(relation.child.name);
  const field = relation.foreignKey.field;
  const parentPath = collectionPath(relation.parent);
  const childPath = collectionPath(relation.child);
  const nested = relation.child.nestedPath ?? childPath;
  const parentKey = relation.parent.name;
  const childKey = relation.child.name;
  const base = `/${parentPath}/:${parentKey}/${nested}`;
  const scope = async (req: Request): Promise<Scope> => {
    const found = await parent.select(param(req, parentKey));
    if (!found) throw HttpError.notFound();
    await options.access?.check(req, parent.def.name, found.id, 'read');
    return { field, id: found.id };
  };
  route(router, base, {
    get: async (req, res) => {
      const page = readablePage(await listPage(req, child, { ...req.query, scope: await scope(req) }, options), options);
      res.json(pageBody(page, `/${parentPath}/${param(req, parentKey)}/${nested}`, req.query));
    },
    post: async (req, res) => {
      res.status(201).json(await child.insert(body(req), writeOptions(req, options.access, await scope(req))));
    },
  });
  route(router, `${base}/:${childKey}`, entityHandlers(child, (req) => param(req, childKey), { deleteMissing: 404, scope, access: options.access }));

  const parentOfChild = async (req: Request) => {
    const found = await child.select(param(req, childKey));
    const ref = found?.[field] as { id?: string } | null | undefined;
    if (!ref?.id) throw HttpError.notFound();
    await options.access?.check(req, child.def.name, found!.id as string, 'read');
    await options.access?.check(req, parent.def.name, ref.id);
    return ref.id;
  };
  route(router, `/${childPath}/:${childKey}/${field}`, {
    get: async (req, res) => {
      const entity = await parent.select(await parentOfChild(req));
      if (!entity) throw HttpError.notFound();
      res.json(entity);
    },
    patch: async (req, res) => {
      const entity = await parent.update(await parentOfChild(req), body(req), writeOptions(req, options.access));
      if (!entity) throw HttpError.notFound();
      res.json(entity);
    },
  });
}

export function entityRoutes(router: Router, store: EntityStore, options: EntityRoutesOptions): void {
  // Nested paths first: `/services/:parent/routes` must not be taken for `/services/:id`.
  for (const relation of store.relations()) relationRoutes(router, store, relation, options);
  for (const def of store.definitions()) collectionRoutes(router, store.dao(def.name), options);
}
