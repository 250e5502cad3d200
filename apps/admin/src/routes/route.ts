import type { Request, Response, Router } from 'express';
import { HttpError } from '@keygate/http';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
export type Handler = (req: Request, res: Response) => Promise<void> | void;

/**
 * Registers the handlers of one path and answers every other method with Kong's
 * 405 `{"message":"Method not allowed"}`.
 */
export function route(router: Router, path: string, handlers: Partial<Record<Method, Handler>>): void {
  for (const [method, handler] of Object.entries(handlers) as Array<[Method, Handler]>) {
    // Express 5 passes a rejected promise of a handler to the error handler itself.
    router[method](path, handler);
  }
  router.all(path, (_req, _res, next) => next(HttpError.methodNotAllowed()));
}

/** A path parameter, URL-decoded by express. */
export function param(req: Request, name: string): string {
  const value = req.params[name];
  if (typeof value !== 'string') throw HttpError.notFound();
  return value;
}
