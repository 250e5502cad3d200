import { basicAuth, keyAuth, type PluginSchema } from '@keygate/entities';
import type { Logger } from '@keygate/logging';
import type { PluginData } from '../state/types';
import { BasicAuthPlugin } from './basic-auth';
import { KeyAuthPlugin } from './key-auth';
import type { PluginRuntime, Rejection } from './types';

/**
 * A plugin this node cannot run (unknown, disabled in `plugins`, or a config that does not
 * validate). It fails closed with a 500: skipping it could let unauthenticated traffic through
 * a route an operator meant to protect.
 */
class UnavailablePlugin implements PluginRuntime {
  readonly needsBody = false;
  readonly priority = Number.MAX_SAFE_INTEGER;
  constructor(
    readonly id: string,
    readonly name: string,
  ) {}

  access(): Rejection {
    return { status: 500, message: 'An unexpected error occurred' };
  }
}

/**
 * A plugin's proxy side: its schema (libs/entities) and how to build it from a validated config,
 * the same shape as a vault backend (`VaultBackend` in libs/vaults).
 */
export interface PluginImplementation {
  readonly schema: PluginSchema;
  create(data: PluginData): PluginRuntime;
}

export const BUNDLED_IMPLEMENTATIONS: readonly PluginImplementation[] = [
  { schema: keyAuth, create: (data) => new KeyAuthPlugin(data) },
  { schema: basicAuth, create: (data) => new BasicAuthPlugin(data) },
];

const IMPLEMENTATIONS = new Map(BUNDLED_IMPLEMENTATIONS.map((p) => [p.schema.name, p]));

export function createPlugin(data: PluginData, logger: Logger): PluginRuntime {
  const implementation = data.config ? IMPLEMENTATIONS.get(data.name) : undefined;
  if (implementation) return implementation.create(data);
  logger.error({ plugin_id: data.id, plugin: data.name, reason: data.invalid ?? 'no implementation on this node' }, 'proxy: a configured plugin cannot run; requests it applies to are refused (500)');
  return new UnavailablePlugin(data.id, data.name);
}

const key = (route: string | null | undefined, service: string | null | undefined, consumer: string | null | undefined) => `${route ?? ''}|${service ?? ''}|${consumer ?? ''}`;

/**
 * Kong's plugins iterator: for each plugin name, the one configuration that applies to a request,
 * the most specific first (route+service+consumer, route+consumer, service+consumer,
 * route+service, consumer, route, service, global). Disabled plugins and plugins whose
 * `protocols` exclude the request's are not candidates. Results per route are cached until the
 * plugins change.
 */
export class PluginIndex {
  readonly #byName = new Map<string, Map<string, PluginRuntime>>();
  readonly #cache = new Map<string, readonly PluginRuntime[]>();
  readonly #needsBody = new Map<string, boolean>();

  constructor(plugins: Iterable<PluginData>, logger: Logger, protocol = 'http') {
    for (const data of plugins) {
      if (!data.enabled) continue;
      if (data.protocols && !data.protocols.includes(protocol)) continue;
      let combos = this.#byName.get(data.name);
      if (!combos) this.#byName.set(data.name, (combos = new Map()));
      combos.set(key(data.route_id, data.service_id, data.consumer_id), createPlugin(data, logger));
    }
  }

  get size(): number {
    return this.#byName.size;
  }

  /**
   * The plugins to run before authentication (no consumer known), highest priority first. Cached
   * by route and service until the plugins change (the index is rebuilt then).
   */
  forRoute(routeId: string, serviceId: string | undefined): readonly PluginRuntime[] {
    const cacheKey = key(routeId, serviceId, undefined);
    let list = this.#cache.get(cacheKey);
    if (!list) {
      list = this.resolve(routeId, serviceId, undefined);
      this.#cache.set(cacheKey, list);
      this.#needsBody.set(cacheKey, list.some((p) => p.needsBody));
    }
    return list;
  }

  /** Whether a plugin of `forRoute(routeId, serviceId)` reads the request body (call after `forRoute`). */
  needsBody(routeId: string, serviceId: string | undefined): boolean {
    return this.#needsBody.get(key(routeId, serviceId, undefined)) === true;
  }

  resolve(routeId: string | undefined, serviceId: string | undefined, consumerId: string | undefined): PluginRuntime[] {
    const out: PluginRuntime[] = [];
    for (const combos of this.#byName.values()) {
      const found = lookup(combos, routeId, serviceId, consumerId);
      if (found) out.push(found);
    }
    return out.sort((a, b) => b.priority - a.priority);
  }
}

function lookup<T>(combos: Map<string, T>, r: string | undefined, s: string | undefined, c: string | undefined): T | undefined {
  const candidates: Array<[string | undefined, string | undefined, string | undefined]> = [];
  if (r && s && c) candidates.push([r, s, c]);
  if (r && c) candidates.push([r, undefined, c]);
  if (s && c) candidates.push([undefined, s, c]);
  if (r && s) candidates.push([r, s, undefined]);
  if (c) candidates.push([undefined, undefined, c]);
  if (r) candidates.push([r, undefined, undefined]);
  if (s) candidates.push([undefined, s, undefined]);
  candidates.push([undefined, undefined, undefined]);
  for (const [route, service, consumer] of candidates) {
    const found = combos.get(key(route, service, consumer));
    if (found) return found;
  }
  return undefined;
}
