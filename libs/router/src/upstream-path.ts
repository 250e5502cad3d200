/**
 * The path sent upstream: Kong's `get_upstream_uri_v0` / `v1` (route `path_handling`) joining
 * the service `path` (`upstream base`, default `/`) with the request path, stripped of the
 * matched part when `strip_path` is on.
 */
export function upstreamPath(
  route: { readonly strip_path: boolean; readonly path_handling: 'v0' | 'v1' },
  matchedPath: string | undefined,
  requestPath: string,
  servicePath: string | null | undefined,
): string {
  const base = servicePath || '/';
  const strip = route.strip_path && matchedPath !== undefined;
  const postfix = sanitizePostfix(strip ? requestPath.slice(matchedPath.length) : requestPath.slice(1));
  const baseEndsWithSlash = base.endsWith('/');
  if (route.path_handling === 'v1') return baseEndsWithSlash && postfix.startsWith('/') ? base + postfix.slice(1) : base + postfix;
  if (baseEndsWithSlash) {
    if (!strip) return base + requestPath.slice(1);
    if (postfix === '') {
      if (base === '/') return '/';
      return requestPath.endsWith('/') ? base : base.slice(0, -1);
    }
    return postfix.startsWith('/') ? base.slice(0, -1) + postfix : base + postfix;
  }
  if (!strip) return requestPath === '/' ? base : base + requestPath;
  if (postfix === '') return requestPath.length > 1 && requestPath.endsWith('/') ? `${base}/` : base;
  return postfix.startsWith('/') ? base + postfix : `${base}/${postfix}`;
}

/** A stripped remainder must not start a new dot segment upstream (`/api..` -> `..`). */
function sanitizePostfix(postfix: string): string {
  if (postfix === '.' || postfix === '..') return '';
  if (postfix.startsWith('./')) return postfix.slice(1);
  if (postfix.startsWith('../')) return postfix.slice(2);
  return postfix;
}
