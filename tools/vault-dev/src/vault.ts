import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppRoleAuth } from './auth/approle';
import { KubernetesAuth } from './auth/kubernetes';
import { Clock } from '@keygate/tool-kit';
import { VaultError } from './envelope';
import { headerOf, parseJsonBody, readRequest, sendJson } from './http';
import { Namespace } from './namespace';
import { resolveVaultOptions, type VaultDevOptions } from './options';
import { route, type VaultState } from './router';
import { health } from './sys';
import { TokenStore } from './tokens';
import { wrapReply } from './wrapping';
import { KvV2Engine } from './kv/kv-v2';
import { KvV1Engine } from './kv/kv-v1';

export interface VaultDev {
  readonly url: string;
  readonly port: number;
  readonly rootToken: string;
  readonly clock: Clock;
  /** false: every request answers 503 `Vault is sealed` (or is dropped with `mode: 'reset'`) until set back. */
  setAvailable(up: boolean, options?: { readonly mode?: 'error' | 'reset' }): void;
  /** Moves the server's clock forward, e.g. past a token's TTL. */
  advanceClock(seconds: number): void;
  /** Writes a secret as a client would; for KV v2 returns the new version. */
  writeSecret(mount: string, path: string, data: Record<string, unknown>, options?: { readonly namespace?: string; readonly cas?: number }): number | undefined;
  /** A token with these policies and TTL, as `auth/token/create` would make it. */
  createToken(options?: { readonly policies?: readonly string[]; readonly ttlSeconds?: number; readonly namespace?: string }): string;
  /** A wrapping token around `data`, as `X-Vault-Wrap-TTL` would make it (e.g. a wrapped AppRole secret ID). */
  wrap(data: Record<string, unknown>, options?: { readonly ttlSeconds?: number; readonly namespace?: string }): string;
  /** Stops listening and drops open connections; calling it again does nothing. */
  stop(): Promise<void>;
}

export async function startVaultDev(options: VaultDevOptions = {}): Promise<VaultDev> {
  const o = resolveVaultOptions(options);
  const clock = new Clock();
  const tokens = new TokenStore(clock);
  const rootToken = o.rootToken ?? `hvs.${randomBytes(18).toString('base64url')}`;
  tokens.addRoot(rootToken);
  const namespaces = new Map(['', ...o.namespaces].map((name) => [name, new Namespace(name, o.mounts)]));
  const state: VaultState = {
    clock,
    tokens,
    namespaces,
    appRole: new AppRoleAuth(o.appRoleAuthPath, o.appRoles, tokens, o.defaultTokenTtlSeconds),
    kubernetes: new KubernetesAuth(o.kubernetesAuthPath, o.kubernetesRoles, tokens, o.defaultTokenTtlSeconds),
    policies: o.policies,
    defaultTokenTtlSeconds: o.defaultTokenTtlSeconds,
  };
  const availability = { up: true, mode: 'error' as 'error' | 'reset' };
  const server = createServer(handler(state, availability));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const namespace = (name = '') => {
    const ns = namespaces.get(name.replace(/^\/+|\/+$/g, ''));
    if (!ns) throw new Error(`no namespace '${name}'`);
    return ns;
  };
  let stopped: Promise<void> | undefined;
  return {
    url: `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`,
    port,
    rootToken,
    clock,
    setAvailable: (up, opts) => Object.assign(availability, { up, mode: opts?.mode ?? 'error' }),
    advanceClock: (seconds) => clock.advance(seconds),
    writeSecret(mount, path, data, opts = {}) {
      const engine = namespace(opts.namespace).engine(mount);
      if (engine instanceof KvV2Engine) return engine.put(path, data, opts.cas, clock.now())['version'] as number;
      if (engine instanceof KvV1Engine) engine.put(path, data);
      return undefined;
    },
    createToken: (opts = {}) =>
      tokens.issue({
        policies: opts.policies ?? ['root'],
        ttlSeconds: opts.ttlSeconds ?? 0,
        namespace: namespace(opts.namespace).name,
        path: 'auth/token/create',
      }).id,
    wrap(data, opts = {}) {
      const ns = namespace(opts.namespace).name;
      const reply = { request_id: '', lease_id: '', renewable: false, lease_duration: 0, data, wrap_info: null, warnings: null, auth: null, mount_type: '' };
      const wrapped = wrapReply(tokens, reply, opts.ttlSeconds ?? 300, 'sys/wrapping/wrap', ns);
      return (wrapped.body!['wrap_info'] as { token: string }).token;
    },
    stop: () => (stopped ??= close(server)),
  };
}

function handler(state: VaultState, availability: { up: boolean; mode: 'error' | 'reset' }) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (!availability.up && availability.mode === 'reset') return void req.socket.destroy();
    readRequest(req)
      .then(({ raw, url }) => {
        if (!url.pathname.startsWith('/v1/')) throw new VaultError(404, []);
        const path = decodePath(url.pathname.slice('/v1/'.length));
        if (!availability.up) {
          // A sealed Vault still answers its health endpoint, with 503.
          const reply = path === 'sys/health' ? health(false, state.clock.now()) : { status: 503, body: { errors: ['Vault is sealed'] } };
          return sendJson(res, reply.status, reply.body);
        }
        const reply = route(state, {
          method: req.method ?? 'GET',
          path,
          query: url.searchParams,
          body: parseJsonBody(raw),
          header: (name) => headerOf(req, name),
        });
        return sendJson(res, reply.status, reply.body);
      })
      .catch((error: unknown) => {
        if (res.headersSent) return;
        if (error instanceof VaultError) return sendJson(res, error.status, { errors: error.errors });
        sendJson(res, 500, { errors: [error instanceof Error ? error.message : String(error)] });
      });
  };
}

function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    throw new VaultError(400, ['invalid URL path encoding']);
  }
}

async function close(server: Server): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}
