import type { Request, Router } from 'express';
import { describeEntity, describeSubschema, inferForm, validateEntity, type EntityDefinition, type EntityStore } from '@keygate/entities';
import { HttpError } from '@keygate/http';
import { param, route, servedPaths } from './route';

const VALID = { message: 'schema validation successful' };

function definition(store: EntityStore, name: string): EntityDefinition {
  if (!store.has(name)) throw new HttpError(404, `No entity named '${name}'`);
  return store.dao(name).def;
}

/** Kong's `/schemas/{entity}/validate`: the entity's checks on an insert, nothing written. */
function validate(def: EntityDefinition, req: Request): void {
  const body = (req.body ?? {}) as Record<string, unknown>;
  validateEntity(def, req.bodyKind === 'form' ? inferForm(def, body) : { ...body }, { operation: 'insert' });
}

/**
 * `/schemas/{entity}`, `/schemas/{entity}/validate`, and for entities whose `name` selects a
 * schema (plugins, vaults) `/schemas/plugins/{name}` and `/schemas/plugins/validate`. Every entity
 * of the store is covered, whichever module added it.
 */
export function schemaRoutes(router: Router, store: EntityStore): void {
  for (const def of store.definitions()) {
    const subschemas = def.subschemas;
    if (!subschemas) continue;
    // Before `/schemas/{entity}/{name}`: `validate` is not a plugin's name.
    route(router, `/schemas/${def.name}/validate`, {
      post: (req, res) => {
        validate(def, req);
        res.json(VALID);
      },
    });
    route(router, `/schemas/${def.name}/:name`, {
      get: (req, res) => {
        const name = param(req, 'name');
        const sub = subschemas.get(name);
        if (!sub) throw new HttpError(404, `No ${subschemas.noun} named '${name}'`);
        res.json(describeSubschema(sub));
      },
    });
  }
  route(router, '/schemas/:name', {
    get: (req, res) => {
      res.json(describeEntity(definition(store, param(req, 'name'))));
    },
  });
  route(router, '/schemas/:db_entity_name/validate', {
    post: (req, res) => {
      validate(definition(store, param(req, 'db_entity_name')), req);
      res.json(VALID);
    },
  });
}

/** Kong's `GET /endpoints`: read from the router on each request, so it lists every route it has. */
export function endpointsRoute(router: Router): void {
  route(router, '/endpoints', {
    get: (_req, res) => {
      res.json({ data: servedPaths(router) });
    },
  });
}
