import { Bus } from '@keygate/bus';
import type { Database } from '@keygate/db';
import type { AppContext } from './run-app';

/**
 * Starts this node's bus (one dedicated LISTEN connection; the only place a node starts it),
 * stops it with the node, and shows it in `GET /status`. Parts subscribe afterwards: each
 * subscription LISTENs at once, and `bus.ready()` waits for those LISTENs; every part reads its
 * tables after subscribing, so nothing sent before is lost.
 */
export async function startBus(ctx: AppContext, db: Database): Promise<Bus> {
  const bus = new Bus({ connect: () => db.newClient('listen'), db, logger: ctx.logger.child({ component: 'bus' }) });
  ctx.defer(() => bus.stop());
  ctx.status.addSection('bus', () => bus.status());
  await bus.start();
  return bus;
}
