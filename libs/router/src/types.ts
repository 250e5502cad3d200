/** What the router needs to know about a route (Kong's route entity, fields as stored). */
export interface RouteSpec {
  readonly id: string;
  readonly protocols: readonly string[];
  readonly methods: readonly string[] | null;
  readonly hosts: readonly string[] | null;
  readonly paths: readonly string[] | null;
  readonly headers: Readonly<Record<string, readonly string[]>> | null;
  readonly snis?: readonly string[] | null;
  readonly regex_priority: number;
  readonly strip_path: boolean;
  readonly path_handling: 'v0' | 'v1';
}

/** The parts of a request routing looks at. */
export interface RequestFacts {
  readonly method: string;
  /** The normalized path (`normalizePath`), without the query string. */
  readonly path: string;
  /** The `Host` header as sent (may carry a port); empty when absent. */
  readonly host: string;
  /** The port the request arrived on: used when `Host` names none. */
  readonly port: number;
  /** A request header by lower-case name: all its values, or undefined. */
  header(name: string): string | readonly string[] | undefined;
  /** The server name the TLS client sent (SNI); undefined over plain HTTP or without one. */
  readonly sni?: string;
}

export interface RouteMatch<R> {
  readonly route: R;
  /** The part of the path that matched: the prefix, or a regex's match; undefined for a route without paths. */
  readonly matchedPath: string | undefined;
  /** Named groups of a regex path that matched. */
  readonly captures: Readonly<Record<string, string>> | undefined;
}
