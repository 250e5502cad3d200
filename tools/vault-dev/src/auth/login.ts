import { ok, type VaultReply } from '../envelope';
import type { TokenEntry, TokenStore } from '../tokens';

/** The `auth` block of a login or token-create answer. */
export function authBlock(entry: TokenEntry, tokens: TokenStore): Record<string, unknown> {
  return {
    client_token: entry.id,
    accessor: entry.accessor,
    policies: entry.policies,
    token_policies: entry.policies,
    metadata: entry.meta,
    lease_duration: tokens.remaining(entry),
    renewable: entry.renewable,
    entity_id: entry.entityId,
    token_type: 'service',
    orphan: true,
    mfa_requirement: null,
    num_uses: 0,
  };
}

/** Vault adds the `default` policy to every login token and lists policies sorted. */
export function withDefault(policies: readonly string[] | undefined): string[] {
  return [...new Set(['default', ...(policies ?? [])])].sort();
}

export function loginReply(
  tokens: TokenStore,
  options: { policies: readonly string[] | undefined; ttlSeconds: number; namespace: string; path: string; displayName: string; meta: Record<string, string> },
): VaultReply {
  const entry = tokens.issue({
    policies: withDefault(options.policies),
    ttlSeconds: options.ttlSeconds,
    namespace: options.namespace,
    path: options.path,
    displayName: options.displayName,
    meta: options.meta,
    renewable: true,
  });
  return ok({ auth: authBlock(entry, tokens) });
}
