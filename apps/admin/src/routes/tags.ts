import type { Request, Response, Router } from 'express';
import type { EntityStore } from '@keygate/entities';
import { pageBody } from '@keygate/http';
import { param, route } from './route';

/** Kong's `/tags` and `/tags/{tags}`: `{"data": [{"entity_name", "entity_id", "tag"}], "offset", "next"}`. */
export function tagRoutes(router: Router, store: EntityStore): void {
  const list = async (req: Request, res: Response, tag?: string) => {
    const page = await store.tags().page({ size: req.query.size, offset: req.query.offset, ...(tag === undefined ? {} : { tag }) });
    const path = tag === undefined ? '/tags' : `/tags/${encodeURIComponent(tag)}`;
    // `?tags=` filters entity lists, not this one (as Kong).
    res.json(pageBody({ data: page.data as never[], ...(page.offset ? { offset: page.offset } : {}), skipped: [] }, path, { size: req.query.size }));
  };
  route(router, '/tags', { get: (req, res) => list(req, res) });
  route(router, '/tags/:tags', { get: (req, res) => list(req, res, param(req, 'tags')) });
}
