import { normalizePath } from './normalize';
import { Router } from './router';
import type { RequestFacts, RouteSpec } from './types';
import { upstreamPath } from './upstream-path';

let n = 0;
function route(fields: Partial<RouteSpec> & { name?: string }): RouteSpec & { name: string } {
  n++;
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    name: fields.name ?? `r${n}`,
    protocols: ['http', 'https'],
    methods: null,
    hosts: null,
    paths: null,
    headers: null,
    regex_priority: 0,
    strip_path: true,
    path_handling: 'v0',
    ...fields,
  };
}

function req(path: string, extra: Partial<Omit<RequestFacts, 'header'>> & { headers?: Record<string, string | string[]> } = {}): RequestFacts {
  const headers = extra.headers ?? {};
  return { method: extra.method ?? 'GET', path: normalizePath(path), host: extra.host ?? 'localhost', port: extra.port ?? 8000, header: (name) => headers[name], ...(extra.sni !== undefined ? { sni: extra.sni } : {}) };
}

const matched = (router: Router<RouteSpec & { name: string }>, facts: RequestFacts) => router.match(facts)?.route.name;

describe('Router (Kong traditional_compatible semantics)', () => {
  it('matches snis against the TLS server name (none over plain HTTP), ranked above a route without', () => {
    const router = new Router([route({ name: 'any', paths: ['/s'] }), route({ name: 'sni', paths: ['/s'], snis: ['api.example.test'] })]);
    expect(matched(router, req('/s', { sni: 'API.example.test' }))).toBe('sni');
    expect(matched(router, req('/s', { sni: 'other.test' }))).toBe('any');
    expect(matched(router, req('/s'))).toBe('any');
  });

  it('matches prefix paths, the longest prefix first, whatever the creation order', () => {
    const router = new Router([route({ name: 'short', paths: ['/api'] }), route({ name: 'long', paths: ['/api/v1'] })]);
    expect(matched(router, req('/api/v1/users'))).toBe('long');
    expect(matched(router, req('/api/v2'))).toBe('short');
    expect(matched(router, req('/apix'))).toBe('short'); // a prefix, not a segment
    expect(matched(router, req('/other'))).toBeUndefined();
  });

  it('ranks regex paths above prefix paths, then by regex_priority; regexes are anchored at the start', () => {
    const router = new Router([
      route({ name: 'prefix', paths: ['/users/123/profile'] }),
      route({ name: 'regex-low', paths: ['~/users/\\d+'], regex_priority: 0 }),
      route({ name: 'regex-high', paths: ['~/users/(?<id>\\d+)/profile'], regex_priority: 10 }),
    ]);
    expect(matched(router, req('/users/123/profile'))).toBe('regex-high');
    expect(router.match(req('/users/7/profile'))?.captures).toEqual({ id: '7' });
    expect(matched(router, req('/users/7'))).toBe('regex-low');
    expect(matched(router, req('/x/users/7'))).toBeUndefined();
  });

  it('prefers routes with more matching fields (host + path over path alone), and plain hosts over wildcards', () => {
    const router = new Router([
      route({ name: 'path', paths: ['/'] }),
      route({ name: 'wildcard', hosts: ['*.example.com'], paths: ['/'] }),
      route({ name: 'plain', hosts: ['api.example.com'], paths: ['/'] }),
      route({ name: 'suffix', hosts: ['example.*'], paths: ['/'] }),
    ]);
    expect(matched(router, req('/', { host: 'api.example.com' }))).toBe('plain');
    expect(matched(router, req('/', { host: 'API.Example.com:8000' }))).toBe('plain');
    expect(matched(router, req('/', { host: 'a.b.example.com' }))).toBe('wildcard');
    expect(matched(router, req('/', { host: 'example.org' }))).toBe('suffix');
    expect(matched(router, req('/', { host: 'example.com' }))).toBe('suffix');
    expect(matched(router, req('/', { host: 'other.com' }))).toBe('path');
  });

  it('matches a host with a port only on that port', () => {
    const router = new Router([route({ name: 'port', hosts: ['example.com:8080'] }), route({ name: 'any', paths: ['/'] })]);
    expect(matched(router, req('/', { host: 'example.com:8080' }))).toBe('port');
    expect(matched(router, req('/', { host: 'example.com' }))).toBe('any');
    expect(matched(router, req('/', { host: 'example.com', port: 8080 }))).toBe('port');
  });

  it('matches methods and headers (case-insensitive values, ~* regex, any of repeated values)', () => {
    const router = new Router([
      route({ name: 'get', methods: ['GET'], paths: ['/m'] }),
      route({ name: 'header', headers: { 'x-version': ['v2', '~*^beta-\\d$'] }, paths: ['/m'] }),
    ]);
    expect(matched(router, req('/m', { method: 'POST' }))).toBeUndefined();
    expect(matched(router, req('/m'))).toBe('get');
    expect(matched(router, req('/m', { method: 'POST', headers: { 'x-version': 'V2' } }))).toBe('header');
    expect(matched(router, req('/m', { method: 'POST', headers: { 'x-version': ['v1', 'BETA-3'] } }))).toBe('header');
    expect(matched(router, req('/m', { method: 'POST', headers: { 'x-version': 'v3' } }))).toBeUndefined();
  });

  it('breaks equal priorities by route id (higher first), as the ATC router', () => {
    const a = route({ name: 'a', paths: ['/same'] });
    const b = route({ name: 'b', paths: ['/same'] });
    expect(matched(new Router([a, b]), req('/same'))).toBe('b');
    expect(matched(new Router([b, a]), req('/same'))).toBe('b');
  });

  it('splits a route with several paths: each prefix is ranked by its own length', () => {
    const router = new Router([route({ name: 'multi', paths: ['/a', '/abc/def'] }), route({ name: 'mid', paths: ['/abc'] })]);
    expect(matched(router, req('/abc/def/x'))).toBe('multi');
    expect(router.match(req('/abc/def/x'))?.matchedPath).toBe('/abc/def');
    expect(matched(router, req('/abc/x'))).toBe('mid');
    expect(matched(router, req('/a'))).toBe('multi');
  });

  it('skips routes without an HTTP protocol and reports regexes it cannot compile', () => {
    const router = new Router([route({ name: 'grpc', protocols: ['grpc'], paths: ['/'] }), route({ name: 'bad', paths: ['~/(?<x'] })]);
    expect(matched(router, req('/'))).toBeUndefined();
    expect(router.rejected).toEqual([{ id: expect.any(String), reason: expect.stringContaining('Invalid regular expression') }]);
  });

  it('matches the normalized path, so dot segments and encodings cannot dodge a route', () => {
    const router = new Router([route({ name: 'admin', paths: ['/admin'] }), route({ name: 'root', paths: ['/'] })]);
    expect(matched(router, req('/public/../admin'))).toBe('admin');
    expect(matched(router, req('/%61dmin'))).toBe('admin');
    expect(matched(router, req('//admin'))).toBe('admin');
    expect(normalizePath('/a/./b/../c/')).toBe('/a/c/');
    expect(normalizePath('/a%2Fb')).toBe('/a%2Fb');
    expect(normalizePath('/a%2fb%7e')).toBe('/a%2Fb~');
  });
});

describe('upstreamPath (Kong path_handling table)', () => {
  // service.path, route path, request, strip_path, path_handling -> upstream path (Kong's docs)
  const table: Array<[string | null, string, string, boolean, 'v0' | 'v1', string]> = [
    ['/s', '/fv0', '/fv0req', false, 'v0', '/s/fv0req'],
    ['/s', '/fv0', '/fv0', false, 'v0', '/s/fv0'],
    ['/s', '/fv1', '/fv1req', false, 'v1', '/sfv1req'],
    ['/s', '/fv1', '/fv1', false, 'v1', '/sfv1'],
    ['/s', '/tv0', '/tv0req', true, 'v0', '/s/req'],
    ['/s', '/tv0', '/tv0', true, 'v0', '/s'],
    ['/s', '/tv1', '/tv1req', true, 'v1', '/sreq'],
    ['/s', '/tv1', '/tv1', true, 'v1', '/s'],
    ['/s', '/fv0/', '/fv0/req', false, 'v0', '/s/fv0/req'],
    ['/s', '/fv0/', '/fv0/', false, 'v0', '/s/fv0/'],
    ['/s', '/fv1/', '/fv1/req', false, 'v1', '/sfv1/req'],
    ['/s', '/fv1/', '/fv1/', false, 'v1', '/sfv1/'],
    ['/s', '/tv0/', '/tv0/req', true, 'v0', '/s/req'],
    ['/s', '/tv0/', '/tv0/', true, 'v0', '/s/'],
    ['/s', '/tv1/', '/tv1/req', true, 'v1', '/sreq'],
    ['/s', '/tv1/', '/tv1/', true, 'v1', '/s'],
    [null, '/echo', '/echo', true, 'v0', '/'],
    [null, '/echo', '/echo/a/b', true, 'v0', '/a/b'],
    [null, '/echo', '/echo/a', false, 'v0', '/echo/a'],
    ['/base/', '/echo', '/echo/a', true, 'v0', '/base/a'],
    ['/base/', '/echo', '/echo', true, 'v0', '/base'],
  ];
  it.each(table)('service %s, route %s, request %s, strip %s, %s -> %s', (service, path, request, strip, handling, expected) => {
    expect(upstreamPath({ strip_path: strip, path_handling: handling }, path, request, service)).toBe(expected);
  });

  it('strips what a regex matched', () => {
    expect(upstreamPath({ strip_path: true, path_handling: 'v0' }, '/users/42', '/users/42/orders', '/svc')).toBe('/svc/orders');
  });
});
