import type { BasicAuthConfig } from '@keygate/entities';
import type { RequestContext } from '../http/context';
import type { PluginData } from '../state/types';
import { failOrAnonymous, setConsumer } from './consumer';
import type { PluginDeps, PluginRuntime, Rejection } from './types';

const SCHEME = /\s*[Bb]asic\s*(.+)/;
const USER_PASSWORD = /([^:]+):(.*)/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** `kong/plugins/basic-auth/access.lua` (Kong 3.7+: `Unauthorized` and `WWW-Authenticate` on every 401). */
export class BasicAuthPlugin implements PluginRuntime {
  readonly name = 'basic-auth';
  readonly priority = 1100;
  readonly needsBody = false;
  readonly id: string;
  readonly #conf: BasicAuthConfig;
  readonly #unauthorized: Rejection;

  constructor(data: PluginData) {
    this.id = data.id;
    this.#conf = data.config as BasicAuthConfig;
    this.#unauthorized = { status: 401, message: 'Unauthorized', headers: { 'www-authenticate': `Basic realm="${this.#conf.realm}"` } };
  }

  access(ctx: RequestContext, deps: PluginDeps): Rejection | undefined {
    if (this.#conf.anonymous && ctx.authenticated?.credential) return undefined;
    const result = this.#authenticate(ctx, deps);
    if (typeof result === 'object') return result;
    if (result) return undefined;
    const given = ctx.header('authorization') !== undefined || ctx.header('proxy-authorization') !== undefined;
    return failOrAnonymous(ctx, deps, this.#conf.anonymous, given ? this.#unauthorized : { ...this.#unauthorized, reason: 'no_credentials' });
  }

  #authenticate(ctx: RequestContext, deps: PluginDeps): boolean | Rejection {
    if (ctx.header('authorization') === undefined && ctx.header('proxy-authorization') === undefined) return false;
    // Proxy-Authorization first, then Authorization.
    for (const header of ['proxy-authorization', 'authorization']) {
      const given = this.#credentials(ctx, header);
      if (!given) continue;
      const credential = deps.state.basicAuthByUsername.get(given.username);
      if (!credential) continue;
      if (credential.unavailable_key_id !== undefined) return keyNotAvailable(credential.unavailable_key_id);
      if (!deps.hasher.verifyPassword(given.password, credential.consumer_id, credential.algorithm, credential.digest)) return false;
      const consumer = deps.state.tables.consumers.get(credential.consumer_id);
      if (!consumer) return false;
      setConsumer(ctx, consumer, { id: credential.id, identifier: credential.username });
      return true;
    }
    return false;
  }

  /** `retrieve_credentials`: `Basic base64(user:password)`; the header is hidden if configured. */
  #credentials(ctx: RequestContext, header: string): { username: string; password: string } | undefined {
    const value = ctx.header(header);
    if (value === undefined) return undefined;
    if (this.#conf.hide_credentials) ctx.clearUpstreamHeader(header);
    const encoded = SCHEME.exec(value)?.[1];
    if (!encoded || !BASE64.test(encoded) || encoded.length % 4 === 1) return undefined;
    const parts = USER_PASSWORD.exec(Buffer.from(encoded, 'base64').toString('utf8'));
    return parts ? { username: parts[1] as string, password: parts[2] as string } : undefined;
  }
}

/** The same message as the Admin API's for a field under a key this node lacks. */
function keyNotAvailable(keyId: string): Rejection {
  return { status: 503, message: `encryption key ${keyId} is not available on this node; recover it (POST /keyring/recover) or import it (POST /keyring/import)` };
}
