import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { AdminAuthError, type RbacAuthenticator } from '@keygate/admin-auth';
import { Secret } from '@keygate/crypto';
import type { Logger } from '@keygate/logging';

/** The page shows the keyring (key ids per node) and vault references: it needs what `GET /keyring` needs. */
export const PAGE_PERMISSION = { method: 'GET', path: '/keyring' } as const;
export const SESSION_COOKIE = 'keygate_gui_session';

export interface GuiAccessOptions {
  /** Present when `enforce_rbac = on`; without it the page's data is open (bind it to 127.0.0.1). */
  readonly rbac: RbacAuthenticator | undefined;
  /** `rbac_auth_header`, accepted on the data endpoints too (scripts, curl). */
  readonly tokenHeader: string;
  readonly logger: Logger;
  /** A session's lifetime, from sign-in. @defaultValue 1 hour */
  readonly sessionTtlMs?: number;
  /** Sessions held at once; sign-ins beyond it are refused. @defaultValue 1000 */
  readonly maxSessions?: number;
}

export type Decision = { readonly ok: true; readonly user: string | null } | { readonly ok: false; readonly status: 401 | 403; readonly message: string };

interface Session {
  /** Kept to check the user again on every request: a revoked token or a removed role ends the session. */
  readonly token: Secret<string>;
  readonly expiresAt: number;
}

const SIGN_IN = 'Sign in with an Admin API token';

/**
 * Who may read the page's data when `enforce_rbac = on`: a request carries either the token in
 * `rbac_auth_header` or a session cookie got by signing in with one (`POST /api/session`), since
 * `EventSource` cannot send headers. Sessions live in this process's memory only, are looked up
 * by the SHA-256 of their random id, and re-check the token and its permission on every use.
 */
export class GuiAccess {
  readonly #sessions = new Map<string, Session>();

  constructor(private readonly options: GuiAccessOptions) {}

  get enforced(): boolean {
    return this.options.rbac !== undefined;
  }

  /** May this request read the page's data? */
  async check(req: IncomingMessage): Promise<Decision> {
    if (!this.options.rbac) return { ok: true, user: null };
    const header = req.headers[this.options.tokenHeader.toLowerCase()];
    if (typeof header === 'string') return this.#decide(header);
    const session = this.#session(req);
    if (!session) return { ok: false, status: 401, message: SIGN_IN };
    return this.#decide(session.token.reveal());
  }

  /** Exchanges a token for a session cookie, if it may read the page. */
  async signIn(req: IncomingMessage, token: string): Promise<Decision & { readonly cookie?: string }> {
    const decision = await this.#decide(token);
    if (!decision.ok) {
      this.options.logger.info({ status: decision.status }, 'cluster page: sign-in refused');
      return decision;
    }
    const now = Date.now();
    for (const [id, s] of this.#sessions) if (s.expiresAt <= now) this.#sessions.delete(id);
    if (this.#sessions.size >= (this.options.maxSessions ?? 1000)) return { ok: false, status: 401, message: 'Too many open sessions; try again later' };
    const id = randomBytes(32).toString('base64url');
    const ttl = this.options.sessionTtlMs ?? 3_600_000;
    this.#sessions.set(digest(id), { token: new Secret(token), expiresAt: now + ttl });
    this.options.logger.info({ user: decision.user }, 'cluster page: signed in');
    return { ...decision, cookie: cookie(req, id, Math.floor(ttl / 1000)) };
  }

  /** Ends the request's session; the cookie that clears it in the browser. */
  signOut(req: IncomingMessage): string {
    const id = readCookie(req);
    if (id) this.#sessions.delete(digest(id));
    return cookie(req, '', 0);
  }

  async #decide(token: string): Promise<Decision> {
    const rbac = this.options.rbac!;
    try {
      const user = await rbac.authenticate(token);
      await rbac.authorize(user, PAGE_PERMISSION.method, PAGE_PERMISSION.path);
      return { ok: true, user: user.name };
    } catch (err) {
      if (err instanceof AdminAuthError && err.code === 'RBAC_UNAUTHORIZED') return { ok: false, status: 401, message: err.message };
      if (err instanceof AdminAuthError && err.code === 'RBAC_FORBIDDEN') return { ok: false, status: 403, message: `${err.message} (the cluster page needs read on ${PAGE_PERMISSION.path})` };
      throw err;
    }
  }

  #session(req: IncomingMessage): Session | undefined {
    const id = readCookie(req);
    if (!id) return undefined;
    const key = digest(id);
    const session = this.#sessions.get(key);
    if (session && session.expiresAt <= Date.now()) {
      this.#sessions.delete(key);
      return undefined;
    }
    return session;
  }
}

function digest(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

function readCookie(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, value] = part.trim().split('=', 2);
    if (name === SESSION_COOKIE && value) return value;
  }
  return undefined;
}

/** HttpOnly (no script reads it), SameSite=Strict (no other site sends it), Secure on a TLS listener. */
function cookie(req: IncomingMessage, value: string, maxAgeSeconds: number): string {
  const secure = (req.socket as TLSSocket).encrypted ? '; Secure' : '';
  return `${SESSION_COOKIE}=${value}; Path=/api; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure}`;
}
