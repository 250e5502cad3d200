import express, { type Express } from 'express';
import type { LoadedConfig } from '@keygate/config';
import type { Database } from '@keygate/db';
import type { EntityStore } from '@keygate/entities';
import type { KeyringService } from '@keygate/keyring';
import { errorHandler, HttpError, parseBody, requestContext } from '@keygate/http';
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
  app.use(parseBody());

  const router = express.Router({ strict: false });
  infoRoutes(router, deps);
  keyringRoutes(router, deps.keyring);
  entityRoutes(router, deps.store);
  app.use(router);
  app.use((_req, _res, next) => next(HttpError.notFound()));
  app.use(errorHandler(deps.logger));
  return app;
}
