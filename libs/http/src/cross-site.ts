import { isIP } from 'node:net';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '@keygate/logging';
import { HttpError } from './errors';

export interface CrossSiteOptions {
  /**
   * Origins (`scheme://host[:port]`) whose pages may call this API from a browser, besides the
   * API's own origin (Kong's `admin_gui_url`). @defaultValue none
   */
  readonly allowedOrigins?: readonly string[];
  readonly logger: Logger;
}

const REFUSED =
  'Cross-site requests to the Admin API are not allowed; a browser page may call it only from its own origin or an origin listed in admin_gui_url';
const REBOUND =
  'Browser requests must address the Admin API by IP address, localhost or a host listed in admin_gui_url (a page on another name that resolves here is refused: DNS rebinding)';

/**
 * Refuses requests a browser sends on behalf of another site's page: without this, any web page
 * an operator visits can POST a form to `http://127.0.0.1:8001/consumers` (a "simple" request,
 * sent without a CORS preflight) and change credentials or the keyring.
 *
 * - `Origin` present: it must be this API's own origin or an allowed one. `Origin: null`
 *   (sandboxed frames, `file:` pages, redirects) is refused.
 * - No `Origin`: refused only when the browser says the request comes from another site
 *   (`Sec-Fetch-Site: cross-site` or `same-site`). `same-site` is refused too: a page on
 *   another port of the same host is same-site, and any local dev server or app can serve one.
 * - Neither header (curl, SDKs, scripts): allowed; those clients act for the operator.
 * - A browser request (it carries `Sec-Fetch-Site` or `Origin`) must name this API in `Host` by an
 *   IP address, `localhost` or a host of `admin_gui_url`. Otherwise a page on a name the attacker
 *   controls, re-pointed to 127.0.0.1 (DNS rebinding), would be "same-origin" with the API and
 *   could read credentials with plain GETs, which carry no `Origin`.
 *
 * Allowed origins get CORS headers (and answers to preflights); nobody gets Kong's
 * `Access-Control-Allow-Origin: *`, which lets every page read the Admin API's answers.
 */
export function crossSiteGuard(options: CrossSiteOptions) {
  const allowed = new Set(options.allowedOrigins ?? []);
  const allowedHosts = new Set([...allowed].flatMap((o) => hostOf(o) ?? []));
  return (req: Request, res: Response, next: NextFunction): void => {
    const origin = req.headers.origin;
    const site = header(req, 'sec-fetch-site');
    if (origin !== undefined) res.vary('Origin');
    const own = origin !== undefined && origin === ownOrigin(req);
    const listed = origin !== undefined && allowed.has(origin);
    const refused = origin !== undefined ? !own && !listed : site === 'cross-site' || site === 'same-site';
    const browser = origin !== undefined || site !== undefined;
    if (!refused && browser && !listed && !addressedDirectly(req, allowedHosts)) {
      options.logger.warn({ request_id: req.requestId, method: req.method, path: req.path, host: clip(req.headers.host), sec_fetch_site: clip(site) }, 'browser request to the Admin API by an unknown host name refused');
      return next(new HttpError(403, REBOUND));
    }
    if (refused) {
      options.logger.warn(
        { request_id: req.requestId, method: req.method, path: req.path, origin: clip(origin), sec_fetch_site: clip(site) },
        'cross-site request refused',
      );
      return next(new HttpError(403, REFUSED));
    }
    if (listed) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) return preflight(req, res);
    }
    next();
  };
}

function preflight(req: Request, res: Response): void {
  res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, PUT, PATCH, POST, DELETE');
  const requested = header(req, 'access-control-request-headers');
  // The origin is trusted by configuration, so the headers its page asks for are allowed.
  if (requested && /^[A-Za-z0-9!#$%&'*+.^_`|~-]+(\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$/.test(requested)) {
    res.setHeader('Access-Control-Allow-Headers', requested);
  }
  res.setHeader('Access-Control-Max-Age', '600');
  res.status(204).end();
}

/** `scheme://host[:port]` as a browser would write it for this request's URL. */
function ownOrigin(req: Request): string | undefined {
  const host = req.headers.host;
  if (!host) return undefined;
  try {
    return new URL(`${req.protocol}://${host}`).origin;
  } catch {
    return undefined;
  }
}

/** The `Host` names an IP address, `localhost`, or a host of `admin_gui_url`. */
function addressedDirectly(req: Request, allowedHosts: ReadonlySet<string>): boolean {
  const host = req.headers.host ? hostOf(`http://${req.headers.host}`) : undefined;
  if (!host) return false;
  return host === 'localhost' || host.endsWith('.localhost') || isIP(host.replace(/^\[|\]$/g, '')) !== 0 || allowedHosts.has(host);
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

function header(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value.trim().toLowerCase() : undefined;
}

/** Header values are the client's: keep log lines short. */
function clip(value: string | undefined): string | undefined {
  return value !== undefined && value.length > 200 ? `${value.slice(0, 200)}...` : value;
}
