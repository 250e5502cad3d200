import type { Request } from 'express';
import { actionOf, allowsEntity, entityForbidden, type Action, type EntityExists, type RbacAuthenticator } from '@keygate/admin-auth';
import { encodeOffset, MAX_PAGE_SIZE, parseSize, UnreadableRowError, type EntityDao, type EntityStore, type Page, type Scope } from '@keygate/entities';

/**
 * Entity-level RBAC (`enforce_rbac = entity|both`) for the generic entity routes: one entity
 * is allowed by the permissions naming its id, then `*` (Kong's rule); a collection lists only
 * what the token may read.
 */
export interface EntityAccess {
  /** Kong's 403 unless the request's user may act (default: the request's action) on the entity. */
  check(req: Request, type: string, id: string, action?: Action): Promise<void>;
  /**
   * Kong's 403 unless the user may act on the entity `idOrKey` names, if it exists; a DELETE
   * also needs delete on the entities that refer to it (Kong checks what a delete cascades to).
   */
  checkNamed(req: Request, dao: EntityDao, idOrKey: string, scope?: Scope): Promise<void>;
  /** Those of `entities` the request's user may read. */
  readable<T extends { id?: unknown }>(entities: T[]): T[];
  /** One page of the entities the user may read, filled from the rows after it (at most MAX_ROWS_EXAMINED rows read per request). */
  page(req: Request, type: string, fetch: (query: Record<string, unknown>) => Promise<Page>, query: Record<string, unknown>): Promise<Page>;
}

/** The id of the entity `idOrKey` names (also when its encrypted fields cannot be read), or none. */
async function idOf(dao: EntityDao, idOrKey: string, scope?: Scope): Promise<string | undefined> {
  try {
    return (await dao.select(idOrKey, scope))?.id as string | undefined;
  } catch (err) {
    if (err instanceof UnreadableRowError) return err.rowId;
    throw err;
  }
}

/** For `POST /rbac/roles/{r}/entities`: whether an entity of a type (an entity definition's name) exists. */
export const entityExists =
  (store: EntityStore): EntityExists =>
  async (type, id) =>
    store.has(type) && (await idOf(store.dao(type), id)) === id;

/** Rows one filtered list request reads at most before it answers (with `next` to go on). */
const MAX_ROWS_EXAMINED = 10 * MAX_PAGE_SIZE;

export function entityAccess(rbac: RbacAuthenticator, store: EntityStore): EntityAccess {
  const current = () => {
    const request = rbac.requests.getStore();
    // The guard runs first on every request; no context means no checked token.
    if (!request) throw new Error('entity-level RBAC without an authenticated request');
    return request;
  };
  const allowed = (id: string, action: Action) => allowsEntity(current().grants.entities, id, action);
  const check = async (req: Request, _type: string, id: string, action: Action = actionOf(req.method)) => {
    if (!allowed(id, action)) throw entityForbidden(current().user.name, action);
  };
  /** Every entity whose foreign key names the entity (one level, as Kong), page by page. */
  const checkChildren = async (req: Request, parent: EntityDao, id: string) => {
    for (const relation of store.relations().filter((r) => r.parent.name === parent.def.name)) {
      const child = store.dao(relation.child.name);
      let offset: string | undefined;
      do {
        const page = await child.page({ scope: { field: relation.foreignKey.field, id }, size: String(MAX_PAGE_SIZE), offset });
        for (const childId of [...page.data.map((e) => String(e.id)), ...page.skipped.map((row) => row.rowId)]) await check(req, child.def.name, childId, 'delete');
        offset = page.offset;
      } while (offset);
    }
  };
  const readable = <T extends { id?: unknown }>(entities: T[]) => entities.filter((entity) => allowed(String(entity.id), 'read'));
  return {
    check,
    readable,
    async checkNamed(req, dao, idOrKey, scope) {
      const id = await idOf(dao, idOrKey, scope);
      // A missing entity: a PUT creates it (Kong checks the id it is given, else only `*` allows it).
      if (id) {
        await check(req, dao.def.name, id);
        if (req.method === 'DELETE') await checkChildren(req, dao, id);
      } else if (req.method === 'PUT') await check(req, dao.def.name, /^[0-9a-f-]{36}$/i.test(idOrKey) ? idOrKey : '');
    },
    async page(_req, _type, fetch, query) {
      const size = parseSize(query.size);
      const data: Page['data'][number][] = [];
      const skipped: Page['skipped'][number][] = [];
      let offset = query.offset;
      let examined = 0;
      for (;;) {
        // Ask for more than is missing: unreadable rows are usually many where any are.
        const want = size - data.length;
        const page = await fetch({ ...query, size: String(Math.min(MAX_PAGE_SIZE, Math.max(want, 100))), offset });
        skipped.push(...page.skipped);
        const visible = readable(page.data);
        if (visible.length > want) {
          // Cut inside this page: the next one starts after the last entity returned.
          data.push(...visible.slice(0, want));
          return { data, offset: encodeOffset(data[data.length - 1]!.id as string), skipped };
        }
        data.push(...visible);
        if (!page.offset) return { data, skipped };
        offset = page.offset;
        examined += page.data.length + page.skipped.length;
        // Bounded work per request: a token that may read few of many rows gets a short page and `next`.
        if (data.length === size || examined >= MAX_ROWS_EXAMINED) return { data, offset: page.offset, skipped };
      }
    },
  };
}
