import { rbacBadRequest } from '../errors';

/** Kong's action bits. */
export const ACTION_BITS = { read: 1, create: 2, update: 4, delete: 8 } as const;
export type Action = keyof typeof ACTION_BITS;
export const ALL_ACTIONS = 15;

export function actionOf(method: string): Action {
  switch (method.toUpperCase()) {
    case 'GET':
    case 'HEAD':
    case 'OPTIONS':
      return 'read';
    case 'POST':
      return 'create';
    case 'PUT':
    case 'PATCH':
      return 'update';
    default:
      return 'delete';
  }
}

/** `actions` as Kong takes it: a comma string or an array of names; `*` is all. */
export function parseActions(input: unknown): number {
  if (input === undefined || input === null || input === '') return 0;
  const names = Array.isArray(input) ? input : typeof input === 'string' ? input.split(',') : [input];
  let bits = 0;
  for (const raw of names) {
    const name = String(raw).trim();
    if (name === '*') bits |= ALL_ACTIONS;
    else if (name in ACTION_BITS) bits |= ACTION_BITS[name as Action];
    else throw rbacBadRequest(`Undefined RBAC action ${name}`);
  }
  return bits;
}

export function actionNames(bits: number): Action[] {
  return (Object.keys(ACTION_BITS) as Action[]).filter((a) => (bits & ACTION_BITS[a]) !== 0);
}

/** Kong: trimmed, trailing `/` removed, leading `/` added (unless `*`). */
export function normalizeEndpoint(endpoint: string): string {
  const trimmed = endpoint.trim().replace(/\/+$/, '');
  if (trimmed === '*') return '*';
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

export interface EndpointPermission {
  readonly workspace: string;
  readonly endpoint: string;
  readonly actions: number;
  readonly negative: boolean;
}

/**
 * Paths a wildcard never reaches: a permission must name them literally in its first segment
 * (`/keyring/*`, `/vaults`, `/cluster/*`: enrollment tokens and node credentials), so `*`
 * (read-only, a CI token) never includes the keyring, vaults or node enrollment.
 */
export const EXPLICIT_ONLY = ['keyring', 'vaults', 'cluster'] as const;

/** The request path as lower-cased, decoded segments (express matches routes case-insensitively). */
export function pathSegments(path: string): string[] {
  return path
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      try {
        return decodeURIComponent(s).toLowerCase();
      } catch {
        return s.toLowerCase();
      }
    });
}

/** -1 = no match; otherwise the number of literal segments (more = more specific). */
export function specificity(endpoint: string, segments: readonly string[]): number {
  const explicitOnly = segments.length > 0 && (EXPLICIT_ONLY as readonly string[]).includes(segments[0] as string);
  if (endpoint === '*') return explicitOnly ? -1 : 0;
  const pattern = endpoint.split('/').filter((s) => s !== '').map((s) => s.toLowerCase());
  if (pattern.length !== segments.length) return -1;
  if (explicitOnly && pattern[0] !== segments[0]) return -1;
  let literal = 0;
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === '*') continue;
    if (pattern[i] !== segments[i]) return -1;
    literal++;
  }
  return literal + 1;
}

/**
 * Kong's rule: the most specific matching endpoint that says anything about the action decides;
 * at equal specificity a negative (deny) wins; nothing matching denies.
 */
export function allows(permissions: readonly EndpointPermission[], path: string, action: Action): boolean {
  const segments = pathSegments(path);
  const bit = ACTION_BITS[action];
  let best = -1;
  let allowed = false;
  for (const p of permissions) {
    if ((p.actions & bit) === 0 || (p.workspace !== '*' && p.workspace !== 'default')) continue;
    const s = specificity(p.endpoint, segments);
    if (s < 0 || s < best) continue;
    if (s > best) {
      best = s;
      allowed = !p.negative;
    } else if (p.negative) allowed = false;
  }
  return best >= 0 && allowed;
}

const all = (endpoint: string, negative = false): EndpointPermission => ({ workspace: '*', endpoint, actions: ALL_ACTIONS, negative });
const depths = (first: string, negative = false): EndpointPermission[] =>
  ['', '/*', '/*/*', '/*/*/*', '/*/*/*/*'].map((rest) => all(`/${first}${rest}`, negative));

export interface BuiltInRole {
  readonly id: string;
  readonly name: string;
  readonly comment: string;
  readonly permissions: readonly EndpointPermission[];
  /** Entity-level permissions (`enforce_rbac = entity|both`): `*` as Kong seeds them. */
  readonly entities: readonly { entity_id: string; entity_type: string; actions: number; negative: boolean }[];
}

const everyEntity = (actions: number) => [{ entity_id: '*', entity_type: 'wildcard', actions, negative: false }];

/**
 * Kong's default roles, with fixed ids (seeded by migration 007). Their permissions live here,
 * not in the database, and cannot be changed through the API. `admin` and `super-admin` name
 * the keyring and vaults explicitly; `read-only` cannot read them; only `super-admin` names
 * `/cluster`.
 */
export const BUILT_IN_ROLES: readonly BuiltInRole[] = [
  {
    id: '00000000-0000-4000-8000-000000000001',
    name: 'read-only',
    comment: 'Read access to all endpoints, across all workspaces',
    permissions: [{ workspace: '*', endpoint: '*', actions: ACTION_BITS.read, negative: false }],
    entities: everyEntity(ACTION_BITS.read),
  },
  {
    id: '00000000-0000-4000-8000-000000000002',
    name: 'admin',
    comment: 'Full access to all endpoints, across all workspaces—except RBAC Admin API',
    // Not `/cluster`: enrolling a node yields the cluster secret, which signs the RBAC rows denied here.
    permissions: [all('*'), ...depths('keyring'), ...depths('vaults'), ...depths('rbac', true)],
    entities: everyEntity(ALL_ACTIONS),
  },
  {
    id: '00000000-0000-4000-8000-000000000003',
    name: 'super-admin',
    comment: 'Full access to all endpoints, across all workspaces',
    permissions: [all('*'), ...depths('keyring'), ...depths('vaults'), ...depths('cluster')],
    entities: everyEntity(ALL_ACTIONS),
  },
];

export const builtInRole = (idOrName: string): BuiltInRole | undefined => BUILT_IN_ROLES.find((r) => r.id === idOrName || r.name === idOrName);
