import type { KeyAuthConfig } from '@keygate/entities';
import type { RequestContext } from '../http/context';
import type { PluginData } from '../state/types';
import { failOrAnonymous, setConsumer } from './consumer';
import type { PluginDeps, PluginRuntime, Rejection } from './types';

/** `kong/plugins/key-auth/handler.lua` (Kong 3.7+ texts and `WWW-Authenticate`). */
export class KeyAuthPlugin implements PluginRuntime {
  readonly name = 'key-auth';
  readonly priority = 1250;
  readonly id: string;
  readonly needsBody: boolean;
  readonly #conf: KeyAuthConfig;
  readonly #challenge: Readonly<Record<string, string>>;
  readonly #keyNames: ReadonlyArray<{ readonly name: string; readonly header: string; readonly dashed: string }>;

  constructor(data: PluginData) {
    this.id = data.id;
    this.#conf = data.config as KeyAuthConfig;
    this.needsBody = this.#conf.key_in_body;
    this.#challenge = { 'www-authenticate': this.#conf.realm ? `Key realm="${this.#conf.realm}"` : 'Key' };
    // nginx's header lookup is case-insensitive and treats `_` as `-`.
    this.#keyNames = this.#conf.key_names.map((name) => ({ name, header: name.toLowerCase(), dashed: name.toLowerCase().replace(/_/g, '-') }));
  }

  access(ctx: RequestContext, deps: PluginDeps): Rejection | undefined {
    const conf = this.#conf;
    if (!conf.run_on_preflight && ctx.method === 'OPTIONS') return undefined;
    // Already authenticated by another plugin and `anonymous` set: a logical OR of auth methods.
    if (conf.anonymous && ctx.authenticated?.credential) return undefined;
    const failure = this.#authenticate(ctx, deps);
    return failure ? failOrAnonymous(ctx, deps, conf.anonymous, failure) : undefined;
  }

  #authenticate(ctx: RequestContext, deps: PluginDeps): Rejection | undefined {
    const conf = this.#conf;
    if (conf.key_in_body && ctx.bodyError) return { status: 400, message: 'Cannot process request body' };
    let key: string | undefined;
    for (const { name, header, dashed } of this.#keyNames) {
      let value: unknown;
      if (conf.key_in_header) {
        const values = ctx.headerValues(header);
        if (values.length === 0 && dashed !== header) values.push(...ctx.headerValues(dashed));
        value = values.length === 0 ? undefined : values.length === 1 ? values[0] : values;
      }
      if (value === undefined && conf.key_in_query) value = ctx.queryValue(name);
      if (value === undefined && conf.key_in_body) value = ctx.parsedBody?.fields[name];
      if (typeof value === 'string') {
        key = value;
        if (conf.hide_credentials) this.#hide(ctx, name, header);
        break;
      }
      if (Array.isArray(value)) return this.#reject('Duplicate API key found');
    }
    if (!key) return this.#reject('No API key found in request');
    const credential = deps.state.keyAuthByDigest.get(deps.hasher.digest(key));
    if (!credential || (credential.expires_at !== null && credential.expires_at <= Date.now())) return this.#reject('Unauthorized');
    const consumer = deps.state.tables.consumers.get(credential.consumer_id);
    if (!consumer) return this.#reject('Unauthorized');
    setConsumer(ctx, consumer, { id: credential.id, identifier: credential.id });
    return undefined;
  }

  #hide(ctx: RequestContext, name: string, header: string): void {
    if (this.#conf.key_in_query) ctx.removeQueryParam(name);
    if (this.#conf.key_in_header) ctx.clearUpstreamHeader(header);
    if (this.#conf.key_in_body && ctx.parsedBody && name in ctx.parsedBody.fields) ctx.body = ctx.parsedBody.without(name);
  }

  #reject(message: string): Rejection {
    return { status: 401, message, headers: this.#challenge };
  }
}
