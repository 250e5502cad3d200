export type Capability = 'create' | 'read' | 'update' | 'delete' | 'list' | 'patch' | 'sudo' | 'deny';

export interface PolicyRule {
  /** Vault path pattern: exact, `prefix*`, or with `+` for one segment (`secret/data/+/db`). */
  readonly path: string;
  readonly capabilities: readonly Capability[];
}

export type PolicySet = Readonly<Record<string, readonly PolicyRule[]>>;

// Vault's built-in `default` policy, reduced to what this server serves.
const DEFAULT_POLICY: readonly PolicyRule[] = [
  { path: 'auth/token/lookup-self', capabilities: ['read'] },
  { path: 'auth/token/renew-self', capabilities: ['update'] },
  { path: 'auth/token/revoke-self', capabilities: ['update'] },
  { path: 'sys/wrapping/wrap', capabilities: ['update'] },
  { path: 'sys/wrapping/lookup', capabilities: ['update'] },
  { path: 'sys/wrapping/unwrap', capabilities: ['update'] },
];

function matcher(pattern: string): RegExp {
  const glob = pattern.endsWith('*');
  const body = (glob ? pattern.slice(0, -1) : pattern)
    .split('+')
    .map((part) => part.replace(/[.*?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/]+');
  return new RegExp(`^${body}${glob ? '.*' : ''}$`);
}

/**
 * Whether a token with `tokenPolicies` may do `capability` on `path`. As in Vault, the most
 * specific matching pattern decides (an exact path over a glob, a longer glob over a shorter
 * one), the same pattern in several policies merges, and `deny` wins. Writes pass with either
 * `create` or `update`, a simplification of Vault's exists/doesn't-exist split.
 * With no policy set configured, ACLs are off and any valid token may do anything.
 */
export function allowed(policies: PolicySet | undefined, tokenPolicies: readonly string[], path: string, capability: Capability): boolean {
  if (tokenPolicies.includes('root') || policies === undefined) return true;
  const rules = tokenPolicies.flatMap((name) => (name === 'default' ? DEFAULT_POLICY : (policies[name] ?? [])));
  const matching = rules.filter((rule) => matcher(rule.path).test(path));
  if (matching.length === 0) return false;
  const rank = (pattern: string): number => (pattern.includes('*') || pattern.includes('+') ? pattern.length : Number.MAX_SAFE_INTEGER);
  const best = matching.reduce((a, b) => (rank(b.path) > rank(a.path) ? b : a)).path;
  const capabilities = new Set(matching.filter((rule) => rule.path === best).flatMap((rule) => rule.capabilities));
  if (capabilities.has('deny')) return false;
  if (capability === 'create' || capability === 'update') return capabilities.has('create') || capabilities.has('update');
  return capabilities.has(capability);
}
