import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestContext } from '../src/http/context';
import type { RouteData } from '../src/state/types';

export const ROUTE: RouteData = {
  id: 'r0000000-0000-4000-8000-000000000000',
  name: 'r',
  protocols: ['http', 'https'],
  methods: null,
  hosts: null,
  paths: ['/'],
  headers: null,
  regex_priority: 0,
  strip_path: true,
  path_handling: 'v0',
  preserve_host: false,
  https_redirect_status_code: 426,
  request_buffering: true,
  response_buffering: true,
  service_id: null,
};

/** A request context over a fake request: `headers` as sent (repeat a name with an array). */
export function fakeContext(options: { method?: string; headers?: Record<string, string | string[]>; query?: string } = {}): RequestContext {
  const rawHeaders: string[] = [];
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) rawHeaders.push(name, v);
    const lower = name.toLowerCase();
    headers[lower] = Array.isArray(value) ? value.join(', ') : value;
  }
  const req = { method: options.method ?? 'GET', headers, rawHeaders } as unknown as IncomingMessage;
  return new RequestContext(req, {} as ServerResponse, 'req-id', 0, '/', '/', options.query ?? '', { route: ROUTE, matchedPath: '/', captures: undefined }, undefined);
}
