import {
  compileHeader,
  compileHost,
  compileRegexPath,
  headerMatches,
  hostMatches,
  isRegexPath,
  pathMatches,
  splitHost,
  type HeaderMatcher,
  type HostMatcher,
  type PathMatcher,
} from './matchers';
import { routePriority } from './priority';
import type { RequestFacts, RouteMatch, RouteSpec } from './types';

interface Entry<R> {
  readonly route: R;
  readonly priority: bigint;
  readonly methods: ReadonlySet<string> | undefined;
  readonly hosts: readonly HostMatcher[] | undefined;
  readonly headers: readonly HeaderMatcher[] | undefined;
  /** Lower-case server names the TLS client must have sent (`snis`). */
  readonly snis: ReadonlySet<string> | undefined;
  readonly path: PathMatcher | undefined;
}

/** A route the router could not use (a regex JavaScript cannot compile), and why. */
export interface RejectedRoute {
  readonly id: string;
  readonly reason: string;
}

const HTTP_PROTOCOLS = ['http', 'https'];

/**
 * Kong's HTTP router: the first route, in priority order (`routePriority`), whose methods,
 * hosts, headers and paths all match. Equal priorities are broken by route id, higher first,
 * as Kong's ATC router orders its matchers. Built once per change of the routes, never per
 * request; matching allocates nothing but the result.
 */
export class Router<R extends RouteSpec> {
  readonly #entries: Entry<R>[] = [];
  readonly rejected: RejectedRoute[] = [];

  constructor(routes: Iterable<R>) {
    for (const route of routes) {
      if (!route.protocols.some((p) => HTTP_PROTOCOLS.includes(p))) continue;
      try {
        this.#entries.push(...compile(route));
      } catch (err) {
        this.rejected.push({ id: route.id, reason: (err as Error).message });
      }
    }
    this.#entries.sort((a, b) => (a.priority === b.priority ? (a.route.id < b.route.id ? 1 : a.route.id > b.route.id ? -1 : 0) : a.priority > b.priority ? -1 : 1));
  }

  get size(): number {
    return this.#entries.length;
  }

  match(facts: RequestFacts): RouteMatch<R> | undefined {
    let host: { name: string; port: number } | undefined;
    for (const entry of this.#entries) {
      if (entry.methods && !entry.methods.has(facts.method)) continue;
      if (entry.hosts) {
        host ??= splitHost(facts.host, facts.port);
        const { name, port } = host;
        if (!entry.hosts.some((m) => hostMatches(m, name, port))) continue;
      }
      if (entry.headers && !entry.headers.every((m) => headerMatches(m, facts.header(m.name)))) continue;
      if (entry.snis && !(facts.sni !== undefined && entry.snis.has(facts.sni.toLowerCase()))) continue;
      if (!entry.path) return { route: entry.route, matchedPath: undefined, captures: undefined };
      const found = pathMatches(entry.path, facts.path);
      if (found) return { route: entry.route, matchedPath: found.matched, captures: found.captures };
    }
    return undefined;
  }
}

function compile<R extends RouteSpec>(route: R): Entry<R>[] {
  const base = {
    route,
    methods: route.methods && route.methods.length > 0 ? new Set(route.methods) : undefined,
    hosts: route.hosts && route.hosts.length > 0 ? route.hosts.map(compileHost) : undefined,
    headers: route.headers && Object.keys(route.headers).length > 0 ? Object.entries(route.headers).map(([n, v]) => compileHeader(n, v)) : undefined,
    snis: route.snis && route.snis.length > 0 ? new Set(route.snis.map((s) => s.toLowerCase())) : undefined,
  };
  const paths = route.paths ?? [];
  if (paths.length === 0) return [{ ...base, path: undefined, priority: routePriority(route, undefined) }];
  const entries: Entry<R>[] = [];
  const regexes = paths.filter(isRegexPath).map(compileRegexPath);
  if (regexes.length > 0) entries.push({ ...base, path: { kind: 'regex', regexes }, priority: routePriority(route, { kind: 'regex' }) });
  for (const prefix of paths.filter((p) => !isRegexPath(p))) {
    entries.push({ ...base, path: { kind: 'prefix', prefix }, priority: routePriority(route, { kind: 'prefix', length: prefix.length }) });
  }
  return entries;
}
