import { Bus } from '@keygate/bus';
import type { Database } from '@keygate/db';
import type { AppContext } from './run-app';

/**
 * Starts this node's bus (one dedicated LISTEN connection), stops it with the node, and shows it
 * in `GET /status`. Subscribe and register resync callbacks before awaiting `start()` where the
 * first resync matters.
 */
export function createBus(ctx: AppContext, db: Database): Bus {
  const bus = new Bus({ connect: () => db.newClient(), db, logger: ctx.logger.child({ component: 'bus' }) });
  ctx.defer(() => bus.stop());
  ctx.status.addSection('bus', () => bus.status());
  return bus;
}
