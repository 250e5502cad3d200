import type { Request, Router } from 'express';
import type { AuditLog, ChainName } from '@keygate/admin-auth';
import { HttpError } from '@keygate/http';
import { route } from './route';

function query(req: Request, name: string): string | undefined {
  const value = req.query[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Epoch seconds or RFC 3339, as Kong's `before`/`after`. */
function time(req: Request, name: string): number | undefined {
  const value = query(req, name);
  if (value === undefined) return undefined;
  const seconds = /^\d+$/.test(value) ? Number(value) : Date.parse(value) / 1000;
  if (!Number.isFinite(seconds)) throw HttpError.badRequest(`'${name}' must be epoch seconds or an RFC 3339 time`);
  return Math.floor(seconds);
}

function size(req: Request): number {
  const value = query(req, 'size');
  if (value === undefined) return 100;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 1000) throw HttpError.badRequest("'size' must be an integer between 1 and 1000");
  return n;
}

function offset(req: Request): number | undefined {
  const value = query(req, 'offset');
  if (value === undefined) return undefined;
  if (!/^\d{1,15}$/.test(value)) throw HttpError.badRequest("'offset' is not a valid offset for this path");
  return Number(value);
}

/** Kong's `/audit/requests` and `/audit/objects` (GET only; present only with `audit_log = on`). */
export function auditRoutes(router: Router, audit: AuditLog): void {
  const list = (chain: ChainName, path: string) =>
    route(router, path, {
      get: async (req, res) => {
        const page = await audit.list(chain, { size: size(req), offset: offset(req), before: time(req, 'before'), after: time(req, 'after') });
        const next = page.offset === undefined ? null : `${path}?${new URLSearchParams({ ...(req.query as Record<string, string>), offset: String(page.offset) }).toString()}`;
        res.json({ data: page.data, next, ...(page.offset === undefined ? {} : { offset: String(page.offset) }) });
      },
    });
  list('requests', '/audit/requests');
  list('objects', '/audit/objects');
}
