import { parseDuration } from '../duration';
import { VaultError, badRequest, noContent, ok, permissionDenied, vaultTime, type VaultReply } from '../envelope';
import type { TokenEntry, TokenStore } from '../tokens';
import { authBlock } from './login';

export interface TokenRouteContext {
  readonly tokens: TokenStore;
  readonly caller: TokenEntry;
  readonly namespace: string;
  readonly defaultTtlSeconds: number;
}

function lookupData(entry: TokenEntry, tokens: TokenStore): Record<string, unknown> {
  return {
    accessor: entry.accessor,
    creation_time: Math.floor(entry.createdAt.getTime() / 1000),
    creation_ttl: entry.ttlSeconds,
    display_name: entry.displayName,
    entity_id: entry.entityId,
    expire_time: entry.expiresAt ? vaultTime(entry.expiresAt) : null,
    explicit_max_ttl: 0,
    id: entry.id,
    issue_time: vaultTime(entry.createdAt),
    meta: entry.meta,
    namespace_path: entry.namespace === '' ? '' : `${entry.namespace}/`,
    num_uses: 0,
    orphan: true,
    path: entry.path,
    policies: entry.policies,
    renewable: entry.renewable,
    ttl: tokens.remaining(entry),
    type: 'service',
  };
}

function stringMap(value: unknown): Record<string, string> | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    throw badRequest('meta must be a map of strings');
  }
  return value as Record<string, string>;
}

/** `auth/token/*`: lookup, renewal, revocation and creation of tokens. */
export function tokenRoute(context: TokenRouteContext, action: string, method: string, body: Record<string, unknown>): VaultReply {
  const { tokens, caller } = context;
  switch (action) {
    case 'lookup-self':
      return ok({ data: lookupData(caller, tokens) });
    case 'lookup': {
      const entry = tokens.find(typeof body['token'] === 'string' ? body['token'] : undefined);
      if (!entry || entry.type === 'wrapping') throw badRequest('bad token');
      return ok({ data: lookupData(entry, tokens) });
    }
    case 'renew-self': {
      if (!caller.renewable) throw badRequest('lease is not renewable');
      tokens.renew(caller, body['increment'] === undefined ? undefined : parseDuration(body['increment'], 'increment'));
      return ok({ auth: authBlock(caller, tokens) });
    }
    case 'revoke-self':
      tokens.revoke(caller.id);
      return noContent();
    case 'create':
    case 'create-orphan': {
      if (method !== 'POST' && method !== 'PUT') throw new VaultError(405, ['unsupported operation']);
      const requested = Array.isArray(body['policies']) ? body['policies'].map(String) : undefined;
      const policies = requested ?? caller.policies.filter((p) => p !== 'root');
      // Only a root token may hand out root.
      if (policies.includes('root') && !caller.policies.includes('root')) throw permissionDenied();
      const ttl = body['ttl'] !== undefined ? parseDuration(body['ttl'], 'ttl') : policies.includes('root') ? 0 : context.defaultTtlSeconds;
      const entry = tokens.issue({
        policies: policies.includes('root') ? policies : [...new Set(['default', ...policies])].sort(),
        ttlSeconds: ttl,
        namespace: context.namespace,
        path: `auth/token/${action}`,
        displayName: typeof body['display_name'] === 'string' ? `token-${body['display_name']}` : 'token',
        meta: stringMap(body['meta']),
        renewable: body['renewable'] !== false && ttl > 0,
      });
      return ok({ auth: authBlock(entry, tokens) });
    }
    default:
      throw new VaultError(404, [`no handler for route "auth/token/${action}". route entry not found.`]);
  }
}
