/** RFC 3986 reserved characters (gen-delims and sub-delims): kept percent-encoded. */
const RESERVED = new Set([...":/?#[]@!$&'()*+,;="].map((c) => c.charCodeAt(0)));

const HEX = /%([0-9a-fA-F]{2})/g;

function decodeUnreserved(path: string): string {
  return path.replace(HEX, (triplet: string, hex: string) => {
    const code = parseInt(hex, 16);
    // Reserved characters and anything outside printable ASCII stay encoded (upper-case hex).
    if (RESERVED.has(code) || code < 0x21 || code > 0x7e || code === 0x25) return triplet.toUpperCase();
    return String.fromCharCode(code);
  });
}

/**
 * Kong's request path normalization before routing (`kong.tools.uri.normalize(uri, true)`):
 * percent-encoded characters that need no encoding are decoded, dot segments removed, repeated
 * slashes merged. Routing and the upstream path use the result, so `/a/../b` cannot reach a route
 * for `/b` while a plugin scoped to `/a` looks the other way.
 */
export function normalizePath(path: string): string {
  if (path === '' || path === '/') return '/';
  let out = path.includes('%') ? decodeUnreserved(path) : path;
  if (!out.includes('.') && !out.includes('//')) return out.startsWith('/') ? out : `/${out}`;
  const segments = out.split('/');
  const kept: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as string;
    const last = i === segments.length - 1;
    if (segment === '.') {
      if (last) kept.push('');
      continue;
    }
    if (segment === '..') {
      kept.pop();
      if (last) kept.push('');
      continue;
    }
    if (segment === '' && !last) continue;
    kept.push(segment);
  }
  out = `/${kept.join('/')}`;
  return out;
}

const SAFE = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/;
const UNSAFE = /[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/g;

/** Re-encodes what may not appear raw in a request target (spaces, non-ASCII) for the upstream request. */
export function escapePath(path: string): string {
  return SAFE.test(path) ? path : path.replace(UNSAFE, (c) => encodeURIComponent(c));
}
