import type { Request, Response, Router } from 'express';
import { HttpError } from '@keygate/http';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
export type Handler = (req: Request, res: Response) => Promise<void> | void;

/**
 * Registers the handlers of one path, answers `OPTIONS` as Kong does (204 with `Allow`), and
 * every other method with Kong's 405 `{"message":"Method not allowed"}`.
 */
export function route(router: Router, path: string, handlers: Partial<Record<Method, Handler>>): void {
  const methods = Object.keys(handlers).map((m) => m.toUpperCase());
  if (methods.includes('GET')) methods.push('HEAD');
  const allow = [...methods, 'OPTIONS'].sort().join(', ');
  for (const [method, handler] of Object.entries(handlers) as Array<[Method, Handler]>) {
    // Express 5 passes a rejected promise of a handler to the error handler itself.
    router[method](path, handler);
  }
  router.options(path, (_req, res) => {
    res.status(204).set('Allow', allow).end();
  });
  router.all(path, (_req, _res, next) => next(HttpError.methodNotAllowed()));
}

/** A path parameter, URL-decoded by express. */
export function param(req: Request, name: string): string {
  const value = req.params[name];
  if (typeof value !== 'string') throw HttpError.notFound();
  return value;
}

/**
 * The paths a router serves right now, in Kong's `/endpoints` form: `:p` written `{p}`, sorted
 * segment by segment (`/a`, `/a/z`, `/ab`).
 */
export function servedPaths(router: Router): string[] {
  const paths = new Set<string>();
  for (const layer of router.stack as Array<{ route?: { path?: unknown } }>) {
    const path = layer.route?.path;
    if (typeof path === 'string') paths.add(path.replace(/:([A-Za-z0-9_]+)/g, '{$1}'));
  }
  const key = (path: string) => path.replace(/\//g, '\u0000');
  return [...paths].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
