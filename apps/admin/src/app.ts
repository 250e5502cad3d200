import express, { type Express } from 'express';
import type { LoadedConfig } from '@keygate/config';
import type { Database } from '@keygate/db';
import type { EntityStore } from '@keygate/entities';
import type { KeyringService } from '@keygate/keyring';
import { crossSiteGuard, errorHandler, HttpError, parseBody, rejectMalformedUrl, rejectUnstorableBody, requestContext } from '@keygate/http';
import type { Logger } from '@keygate/logging';
import type { NodeInfo } from '@keygate/runtime';
import { entityRoutes } from './routes/entities';
import { infoRoutes } from './routes/info';
import { keyringRoutes } from './routes/keyring';
import type { ServerStats } from './server-stats';

export interface AdminApiDeps {
  readonly loaded: LoadedConfig;
  readonly node: NodeInfo;
  readonly db: Database;
  readonly store: EntityStore;
  readonly keyring: KeyringService;
  readonly logger: Logger;
  readonly stats: ServerStats;
}

/** The Admin API as an express application (Kong's paths, bodies and errors). */
export function createAdminApi(deps: AdminApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(requestContext(deps.logger));
  app.use((_req, res, next) => {
    const started = process.hrtime.bigint();
    const writeHead = res.writeHead;
    res.writeHead = function patched(this: typeof res, ...args: Parameters<typeof res.writeHead>) {
      res.setHeader('X-Kong-Admin-Latency', String(Math.round(Number(process.hrtime.bigint() - started) / 1e6)));
      return writeHead.apply(this, args);
    } as typeof res.writeHead;
    next();
  });
  // Before anything reads the body or a route runs: every path, nested or not, is covered.
  app.use(crossSiteGuard({ allowedOrigins: deps.loaded.config.admin_gui_url ?? [], logger: deps.logger }));
  app.use(rejectMalformedUrl());
  app.use(parseBody());
  app.use(rejectUnstorableBody());

  const router = express.Router({ strict: false });
  infoRoutes(router, deps);
  keyringRoutes(router, deps.keyring);
  entityRoutes(router, deps.store, {
    logger: deps.logger,
    // With no key at all this node cannot read any encrypted row: a list would look empty.
    holdsKeys: () => deps.keyring.keyring.ids().length > 0,
  });
  app.use(router);
  app.use((_req, _res, next) => next(HttpError.notFound()));
  app.use(errorHandler(deps.logger));
  return app;
}
