import { randomUUID } from 'node:crypto';
import { badRequest, notFound, ok, type VaultReply } from '../envelope';
import type { TokenStore } from '../tokens';
import { loginReply } from './login';

export interface AppRoleOption {
  readonly roleName: string;
  readonly roleId: string;
  /** A secret ID that logs in; more can be generated through `role/<name>/secret-id`. */
  readonly secretId?: string;
  readonly policies?: readonly string[];
  /** @defaultValue the server's default token TTL */
  readonly tokenTtlSeconds?: number;
  /** Namespace the role lives in. @defaultValue the root namespace */
  readonly namespace?: string;
}

interface Role {
  readonly option: AppRoleOption;
  readonly secretIds: Map<string, string>; // secret id -> accessor
}

/** AppRole auth: role ID + secret ID in, a token out. */
export class AppRoleAuth {
  private readonly roles: Role[];

  constructor(
    readonly path: string,
    roles: readonly AppRoleOption[],
    private readonly tokens: TokenStore,
    private readonly defaultTtlSeconds: number,
  ) {
    this.roles = roles.map((option) => ({ option, secretIds: new Map(option.secretId ? [[option.secretId, randomUUID()]] : []) }));
  }

  login(namespace: string, body: Record<string, unknown>): VaultReply {
    const roleId = typeof body['role_id'] === 'string' ? body['role_id'] : '';
    const secretId = typeof body['secret_id'] === 'string' ? body['secret_id'] : '';
    if (roleId === '') throw badRequest('missing role_id');
    const role = this.roles.find((r) => r.option.roleId === roleId && (r.option.namespace ?? '') === namespace);
    // Vault gives one answer for a bad role ID and a bad secret ID, so neither can be probed.
    if (!role || !role.secretIds.has(secretId)) throw badRequest('invalid role or secret ID');
    return loginReply(this.tokens, {
      policies: role.option.policies,
      ttlSeconds: role.option.tokenTtlSeconds ?? this.defaultTtlSeconds,
      namespace,
      path: `auth/${this.path}/login`,
      displayName: 'approle',
      meta: { role_name: role.option.roleName },
    });
  }

  /** `GET auth/<path>/role/<name>/role-id` */
  roleId(namespace: string, roleName: string): VaultReply {
    return ok({ data: { role_id: this.role(namespace, roleName).option.roleId } });
  }

  /** `POST auth/<path>/role/<name>/secret-id`: a new secret ID (wrap it with `X-Vault-Wrap-TTL`). */
  newSecretId(namespace: string, roleName: string): VaultReply {
    const role = this.role(namespace, roleName);
    const secretId = randomUUID();
    const accessor = randomUUID();
    role.secretIds.set(secretId, accessor);
    return ok({ data: { secret_id: secretId, secret_id_accessor: accessor, secret_id_ttl: 0, secret_id_num_uses: 0 } });
  }

  private role(namespace: string, roleName: string): Role {
    const role = this.roles.find((r) => r.option.roleName === roleName && (r.option.namespace ?? '') === namespace);
    if (!role) throw notFound();
    return role;
  }
}
