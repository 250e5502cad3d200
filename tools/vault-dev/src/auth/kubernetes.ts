import { badRequest, permissionDenied, type VaultReply } from '../envelope';
import type { TokenStore } from '../tokens';
import { loginReply } from './login';

export interface KubernetesRoleOption {
  readonly role: string;
  /** The service-account JWT this role accepts (no TokenReview: the pair is configured). */
  readonly jwt: string;
  readonly policies?: readonly string[];
  /** @defaultValue the server's default token TTL */
  readonly tokenTtlSeconds?: number;
  /** @defaultValue the root namespace */
  readonly namespace?: string;
  /** @defaultValue `default` */
  readonly serviceAccountName?: string;
  /** @defaultValue `default` */
  readonly serviceAccountNamespace?: string;
}

/** Kubernetes auth: a role name and a service-account JWT in, a token out. */
export class KubernetesAuth {
  constructor(
    readonly path: string,
    private readonly roles: readonly KubernetesRoleOption[],
    private readonly tokens: TokenStore,
    private readonly defaultTtlSeconds: number,
  ) {}

  login(namespace: string, body: Record<string, unknown>): VaultReply {
    const roleName = typeof body['role'] === 'string' ? body['role'] : '';
    const jwt = typeof body['jwt'] === 'string' ? body['jwt'] : '';
    if (roleName === '') throw badRequest('missing role');
    if (jwt === '') throw badRequest('missing jwt');
    const candidates = this.roles.filter((r) => r.role === roleName && (r.namespace ?? '') === namespace);
    if (candidates.length === 0) throw badRequest(`invalid role name "${roleName}"`);
    const role = candidates.find((r) => r.jwt === jwt);
    if (!role) throw permissionDenied();
    const account = role.serviceAccountName ?? 'default';
    const accountNamespace = role.serviceAccountNamespace ?? 'default';
    return loginReply(this.tokens, {
      policies: role.policies,
      ttlSeconds: role.tokenTtlSeconds ?? this.defaultTtlSeconds,
      namespace,
      path: `auth/${this.path}/login`,
      displayName: `${this.path}-${accountNamespace}-${account}`,
      meta: {
        role: role.role,
        service_account_name: account,
        service_account_namespace: accountNamespace,
        service_account_secret_name: '',
        service_account_uid: '00000000-0000-0000-0000-000000000000',
      },
    });
  }
}
