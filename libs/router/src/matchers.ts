/**
 * The per-field tests of a route, compiled once when the router is built. Semantics follow
 * Kong's `traditional_compatible` router (the default since 3.0).
 */

export interface HostMatcher {
  readonly kind: 'exact' | 'suffix' | 'prefix';
  /** Lower case; for `*.example.com` the suffix `.example.com`, for `example.*` the prefix `example.`. */
  readonly value: string;
  /** Only this port, when the route host names one (`example.com:8080`). */
  readonly port: number | undefined;
}

export function compileHost(host: string): HostMatcher {
  let name = host.toLowerCase();
  let port: number | undefined;
  const withPort = /^(.*):(\d{1,5})$/.exec(name);
  if (withPort) {
    name = withPort[1] as string;
    port = Number(withPort[2]);
  }
  if (name.startsWith('*')) return { kind: 'suffix', value: name.slice(1), port };
  if (name.endsWith('*')) return { kind: 'prefix', value: name.slice(0, -1), port };
  return { kind: 'exact', value: name, port };
}

/** `Host` header -> lower-case name and port (the listen port when the header names none). */
export function splitHost(host: string, listenPort: number): { name: string; port: number } {
  if (host === '') return { name: '', port: listenPort };
  let name = host.toLowerCase();
  let port = listenPort;
  const close = name.lastIndexOf(']');
  const colon = name.lastIndexOf(':');
  if (colon > close && colon !== -1) {
    const p = Number(name.slice(colon + 1));
    if (Number.isInteger(p)) port = p;
    name = name.slice(0, colon);
  }
  if (name.endsWith('.')) name = name.slice(0, -1);
  return { name, port };
}

export function hostMatches(m: HostMatcher, name: string, port: number): boolean {
  if (m.port !== undefined && m.port !== port) return false;
  switch (m.kind) {
    case 'exact':
      return name === m.value;
    case 'suffix':
      return name.length > m.value.length && name.endsWith(m.value);
    case 'prefix':
      return name.length > m.value.length && name.startsWith(m.value);
  }
}

export interface HeaderMatcher {
  readonly name: string;
  /** Lower-cased plain values. */
  readonly values: ReadonlySet<string>;
  /** Values written `~*regex` (case-insensitive). */
  readonly patterns: readonly RegExp[];
}

export function compileHeader(name: string, values: readonly string[]): HeaderMatcher {
  const plain = new Set<string>();
  const patterns: RegExp[] = [];
  for (const value of values) {
    if (value.startsWith('~*')) patterns.push(new RegExp(value.slice(2), 'i'));
    else plain.add(value.toLowerCase());
  }
  return { name: name.toLowerCase(), values: plain, patterns };
}

export function headerMatches(m: HeaderMatcher, got: string | readonly string[] | undefined): boolean {
  if (got === undefined) return false;
  const list = typeof got === 'string' ? [got] : got;
  for (const value of list) {
    if (m.values.has(value.toLowerCase())) return true;
    for (const pattern of m.patterns) if (pattern.test(value)) return true;
  }
  return false;
}

/** A route path: a prefix, or regexes (Kong anchors each at the start: `^` + the regex). */
export type PathMatcher = { readonly kind: 'prefix'; readonly prefix: string } | { readonly kind: 'regex'; readonly regexes: readonly RegExp[] };

export const isRegexPath = (path: string): boolean => path.startsWith('~');

export function compileRegexPath(path: string): RegExp {
  return new RegExp(`^${path.slice(1)}`);
}

export function pathMatches(m: PathMatcher, path: string): { matched: string; captures: Record<string, string> | undefined } | undefined {
  if (m.kind === 'prefix') return path.startsWith(m.prefix) ? { matched: m.prefix, captures: undefined } : undefined;
  for (const regex of m.regexes) {
    const found = regex.exec(path);
    if (found) return { matched: found[0], captures: found.groups ? { ...found.groups } : undefined };
  }
  return undefined;
}
