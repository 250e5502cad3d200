import type { RouteSpec } from './types';

const MAX_HEADER_COUNT = 255n;

/**
 * Kong's route priority (`kong/router/transform.lua`, `get_priority`), a 64-bit number compared
 * as a whole, higher first:
 *
 * | bits  | what                                                            |
 * |-------|-----------------------------------------------------------------|
 * | 61-63 | how many of methods, hosts, headers, snis, paths the route sets  |
 * | 60    | hosts set and none is a wildcard                                  |
 * | 52-59 | number of headers                                                 |
 * | 51    | the path is a regex                                               |
 * | 19-50 | `regex_priority` (regex paths only)                               |
 * | 0-18  | length of the prefix path                                         |
 *
 * As in Kong's `traditional_compatible` router, a route with several paths is split: each
 * prefix path is ranked by its own length, all regex paths of the route together.
 * `regex_priority` may be negative; it is offset by 2^31 so that the order stays that of the
 * signed values.
 */
export function routePriority(route: RouteSpec, path: { kind: 'prefix'; length: number } | { kind: 'regex' } | undefined): bigint {
  const has = (v: readonly unknown[] | null | undefined) => Array.isArray(v) && v.length > 0;
  const headerCount = route.headers ? BigInt(Object.keys(route.headers).length) : 0n;
  let weight = 0n;
  if (has(route.methods)) weight++;
  if (has(route.hosts)) weight++;
  if (headerCount > 0n) weight++;
  if (has(route.snis)) weight++;
  if (path) weight++;
  const plainHostOnly = has(route.hosts) && !route.hosts!.some((h) => h.includes('*'));
  const regex = path?.kind === 'regex';
  const length = path?.kind === 'prefix' ? BigInt(path.length) & 0x7ffffn : 0n;
  const regexPriority = regex ? (BigInt(route.regex_priority) + 2n ** 31n) & 0xffffffffn : 0n;
  return (
    (weight << 61n) |
    (plainHostOnly ? 1n << 60n : 0n) |
    ((headerCount > MAX_HEADER_COUNT ? MAX_HEADER_COUNT : headerCount) << 52n) |
    (regex ? 1n << 51n : 0n) |
    (regexPriority << 19n) |
    length
  );
}
