import type { AppRoleAuth } from './auth/approle';
import type { KubernetesAuth } from './auth/kubernetes';
import { tokenRoute } from './auth/token';
import type { Clock } from '@keygate/tool-kit';
import { parseDuration } from './duration';
import { VaultError, badRequest, ok, permissionDenied, type VaultReply } from './envelope';
import type { VaultRequest } from './http';
import { trimSlashes, type Namespace } from './namespace';
import { allowed, type Capability, type PolicySet } from './policies';
import { health, mountFor, mounts, sealStatus } from './sys';
import { usableIn, type TokenEntry, type TokenStore } from './tokens';
import { lookupWrapping, unwrap, wrapReply } from './wrapping';

export interface VaultState {
  readonly clock: Clock;
  readonly tokens: TokenStore;
  /** By name; `''` is the root namespace. */
  readonly namespaces: ReadonlyMap<string, Namespace>;
  readonly appRole: AppRoleAuth;
  readonly kubernetes: KubernetesAuth;
  readonly policies?: PolicySet;
  readonly defaultTokenTtlSeconds: number;
}

const CAPABILITY: Record<string, Capability> = { GET: 'read', LIST: 'list', POST: 'update', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

function noRoute(path: string): VaultError {
  return new VaultError(404, [`no handler for route "${path}". route entry not found.`]);
}

function callerToken(request: VaultRequest): string | undefined {
  const header = request.header('x-vault-token');
  if (header) return header;
  const bearer = /^Bearer\s+(.+)$/i.exec(request.header('authorization') ?? '');
  return bearer?.[1];
}

/** Answers one `/v1/...` request that reached an unsealed server. */
export function route(state: VaultState, request: VaultRequest): VaultReply {
  const namespaceName = trimSlashes(request.header('x-vault-namespace') ?? '');
  const namespace = state.namespaces.get(namespaceName);
  const path = request.path;
  if (!namespace) throw noRoute(`${namespaceName}/${path}`);
  const method = request.method === 'GET' && request.query.get('list') === 'true' ? 'LIST' : request.method;
  const writes = method === 'POST' || method === 'PUT';

  // Reachable without a token, as in Vault.
  if (path === 'sys/health') return health(true, state.clock.now());
  if (path === 'sys/seal-status') return sealStatus(true);
  if (writes && path === `auth/${state.appRole.path}/login`) return state.appRole.login(namespaceName, request.body);
  if (writes && path === `auth/${state.kubernetes.path}/login`) return state.kubernetes.login(namespaceName, request.body);
  if (writes && path === 'sys/wrapping/unwrap') {
    const inBody = typeof request.body['token'] === 'string' ? request.body['token'] : undefined;
    if (inBody !== undefined) authenticate(state, request, namespaceName);
    return unwrap(state.tokens, inBody ?? callerToken(request));
  }

  const caller = authenticate(state, request, namespaceName);
  const capability = CAPABILITY[method];
  if (!capability || !allowed(state.policies, caller.policies, trimSlashes(path), capability)) throw permissionDenied();
  const reply = dispatch(state, namespace, caller, { ...request, method, path });
  const wrapTtl = request.header('x-vault-wrap-ttl');
  if (wrapTtl && reply.status === 200 && reply.body && (reply.body['data'] !== null || reply.body['auth'] !== null)) {
    return wrapReply(state.tokens, reply.body, parseDuration(wrapTtl, 'X-Vault-Wrap-TTL'), trimSlashes(path), namespaceName);
  }
  return reply;
}

function authenticate(state: VaultState, request: VaultRequest, namespace: string): TokenEntry {
  const entry = state.tokens.find(callerToken(request));
  // Wrapping tokens only unwrap; they are not credentials for anything else.
  if (!entry || entry.type === 'wrapping' || !usableIn(entry, namespace)) throw permissionDenied();
  return entry;
}

function dispatch(state: VaultState, namespace: Namespace, caller: TokenEntry, request: VaultRequest): VaultReply {
  const { path, method, body } = request;
  if (path.startsWith('auth/token/')) {
    return tokenRoute(
      { tokens: state.tokens, caller, namespace: namespace.name, defaultTtlSeconds: state.defaultTokenTtlSeconds },
      path.slice('auth/token/'.length),
      method,
      body,
    );
  }
  const appRole = new RegExp(`^auth/${escape(state.appRole.path)}/role/([^/]+)/(role-id|secret-id)$`).exec(path);
  if (appRole) {
    if (appRole[2] === 'role-id' && method === 'GET') return state.appRole.roleId(namespace.name, appRole[1]!);
    if (appRole[2] === 'secret-id' && (method === 'POST' || method === 'PUT')) return state.appRole.newSecretId(namespace.name, appRole[1]!);
    throw new VaultError(405, ['unsupported operation']);
  }
  if (path === 'sys/wrapping/wrap' && (method === 'POST' || method === 'PUT')) {
    if (!request.header('x-vault-wrap-ttl')) throw badRequest('must specify wrapping information via the X-Vault-Wrap-TTL header');
    return ok({ data: body });
  }
  if (path === 'sys/wrapping/lookup' && (method === 'POST' || method === 'PUT')) {
    return lookupWrapping(state.tokens, typeof body['token'] === 'string' ? body['token'] : undefined);
  }
  if (path === 'sys/mounts' && method === 'GET') return mounts(namespace);
  if (path.startsWith('sys/internal/ui/mounts/') && method === 'GET') return mountFor(namespace, path.slice('sys/internal/ui/mounts/'.length));

  const resolved = namespace.resolve(path);
  if (!resolved) throw noRoute(path);
  return resolved.engine.handle({ method, path: resolved.rest, query: request.query, body, now: state.clock.now() });
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
