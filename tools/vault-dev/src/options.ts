import type { AppRoleOption } from './auth/approle';
import type { KubernetesRoleOption } from './auth/kubernetes';
import { DEFAULT_MOUNTS, trimSlashes, type MountOption } from './namespace';
import type { PolicySet } from './policies';

export interface VaultDevOptions {
  /** @defaultValue `127.0.0.1` */
  readonly host?: string;
  /** @defaultValue 0 (a free port) */
  readonly port?: number;
  /** @defaultValue a random `hvs.` token (see `rootToken` on the result) */
  readonly rootToken?: string;
  /** KV mounts, the same in every namespace. @defaultValue `[{ path: 'secret', version: 2 }]` (Vault dev mode) */
  readonly mounts?: readonly MountOption[];
  /** Namespaces besides the root one (`X-Vault-Namespace`), each with its own storage. @defaultValue none */
  readonly namespaces?: readonly string[];
  readonly appRoles?: readonly AppRoleOption[];
  /** @defaultValue `approle` */
  readonly appRoleAuthPath?: string;
  readonly kubernetesRoles?: readonly KubernetesRoleOption[];
  /** @defaultValue `kubernetes` */
  readonly kubernetesAuthPath?: string;
  /** Named ACL policies. When given, tokens are held to them; when absent, ACLs are off. */
  readonly policies?: PolicySet;
  /** TTL of login and created tokens that don't set their own. @defaultValue 2764800 (Vault's 768h) */
  readonly defaultTokenTtlSeconds?: number;
}

export interface ResolvedVaultOptions {
  readonly host: string;
  readonly port: number;
  readonly rootToken?: string;
  readonly mounts: readonly MountOption[];
  readonly namespaces: readonly string[];
  readonly appRoles: readonly AppRoleOption[];
  readonly appRoleAuthPath: string;
  readonly kubernetesRoles: readonly KubernetesRoleOption[];
  readonly kubernetesAuthPath: string;
  readonly policies?: PolicySet;
  readonly defaultTokenTtlSeconds: number;
}

/** Applies the documented defaults and refuses bad options before anything listens. */
export function resolveVaultOptions(options: VaultDevOptions): ResolvedVaultOptions {
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`port must be a port number from 0 to 65535, not ${String(options.port)}`);
  const mounts = (options.mounts ?? DEFAULT_MOUNTS).map((m) => ({ path: trimSlashes(m.path), version: m.version }));
  for (const mount of mounts) {
    if (mount.path === '' || mount.path.startsWith('sys') || mount.path.startsWith('auth')) throw new Error(`'${mount.path}' can't be a mount path`);
    if (mount.version !== 1 && mount.version !== 2) throw new Error(`mount '${mount.path}' needs version 1 or 2`);
  }
  if (new Set(mounts.map((m) => m.path)).size !== mounts.length) throw new Error('mount paths must be unique');
  const ttl = options.defaultTokenTtlSeconds ?? 2764800;
  if (!Number.isInteger(ttl) || ttl < 1) throw new Error(`defaultTokenTtlSeconds must be a positive whole number, not ${ttl}`);
  const namespaces = (options.namespaces ?? []).map(trimSlashes);
  if (namespaces.some((n) => n === '')) throw new Error('a namespace needs a name');
  for (const role of options.appRoles ?? []) {
    if (!role.roleName || !role.roleId) throw new Error('each AppRole needs roleName and roleId');
  }
  for (const role of options.kubernetesRoles ?? []) {
    if (!role.role || !role.jwt) throw new Error('each Kubernetes role needs role and jwt');
  }
  if (options.rootToken !== undefined && options.rootToken === '') throw new Error('rootToken must not be empty');
  return {
    host: options.host ?? '127.0.0.1',
    port,
    rootToken: options.rootToken,
    mounts,
    namespaces,
    appRoles: options.appRoles ?? [],
    appRoleAuthPath: trimSlashes(options.appRoleAuthPath ?? 'approle'),
    kubernetesRoles: options.kubernetesRoles ?? [],
    kubernetesAuthPath: trimSlashes(options.kubernetesAuthPath ?? 'kubernetes'),
    policies: options.policies,
    defaultTokenTtlSeconds: ttl,
  };
}
