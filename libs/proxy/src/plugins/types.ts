import type { RequestContext } from '../http/context';
import type { CredentialHasher } from '../state/hasher';
import type { ProxyState } from '../state/state';

/** A plugin's answer in place of the upstream's (Kong's `kong.response.error`). */
export interface Rejection {
  readonly status: number;
  readonly message: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Why, for `keygate_auth_failures_total` (derived from status and message when absent). */
  readonly reason?: string;
}

/** What plugins look credentials and consumers up in: memory only, never the database. */
export interface PluginDeps {
  readonly state: ProxyState;
  readonly hasher: CredentialHasher;
}

/** One configured plugin instance, ready to run on requests. */
export interface PluginRuntime {
  readonly id: string;
  readonly name: string;
  /** Kong's PRIORITY: higher runs first. */
  readonly priority: number;
  /** Reads the request body (key-auth `key_in_body`): the body is buffered before plugins run. */
  readonly needsBody: boolean;
  access(ctx: RequestContext, deps: PluginDeps): Rejection | undefined;
}
