import type { RequestContext } from '../http/context';
import type { ConsumerData } from '../state/types';
import type { PluginDeps, Rejection } from './types';

/** Kong's upstream headers (kong/constants.lua HEADERS), lower case. */
export const CONSUMER_HEADERS = {
  id: 'x-consumer-id',
  customId: 'x-consumer-custom-id',
  username: 'x-consumer-username',
  credential: 'x-credential-identifier',
  anonymous: 'x-anonymous-consumer',
} as const;

/**
 * Kong's `set_consumer` (key-auth and basic-auth handlers): records who the request is and sets
 * or clears each consumer header, so a client cannot pass its own `X-Consumer-*` upstream.
 */
export function setConsumer(ctx: RequestContext, consumer: ConsumerData | undefined, credential?: { id: string; identifier: string }): void {
  ctx.authenticated = { consumer, credential };
  const set = (name: string, value: string | null | undefined) => (value ? ctx.setUpstreamHeader(name, value) : ctx.clearUpstreamHeader(name));
  set(CONSUMER_HEADERS.id, consumer?.id);
  set(CONSUMER_HEADERS.customId, consumer?.custom_id);
  set(CONSUMER_HEADERS.username, consumer?.username);
  set(CONSUMER_HEADERS.credential, credential?.identifier);
  set(CONSUMER_HEADERS.anonymous, credential ? undefined : 'true');
}

/** Kong's `kong.client.load_consumer(value, true)`: by id, then by username. */
export function findConsumer(deps: PluginDeps, idOrUsername: string): ConsumerData | undefined {
  return deps.state.tables.consumers.get(idOrUsername) ?? deps.state.consumersByUsername.get(idOrUsername);
}

/**
 * What every auth plugin does when authentication failed: with `anonymous` set, continue as that
 * consumer (500 if it does not exist, as Kong); otherwise refuse.
 */
export function failOrAnonymous(ctx: RequestContext, deps: PluginDeps, anonymous: unknown, failure: Rejection): Rejection | undefined {
  if (typeof anonymous !== 'string' || anonymous === '') return failure;
  const consumer = findConsumer(deps, anonymous);
  if (!consumer) return { status: 500, message: `anonymous consumer ${anonymous} is configured but doesn't exist` };
  setConsumer(ctx, consumer);
  return undefined;
}
