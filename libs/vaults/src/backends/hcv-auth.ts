import { readFileSync } from 'node:fs';
import { errorsOf, trimPath, type HcvCallOptions } from '@keygate/hcv';
import { backendError } from '../errors';
import type { VaultConfig } from './backend';

export const DEFAULT_KUBE_TOKEN_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** `HcvClient.call` with the backend's errors, and a body that is always an object. */
export type VaultCall = (method: 'GET' | 'POST', path: string, options?: HcvCallOptions) => Promise<{ status: number; body: Record<string, unknown> }>;

/**
 * The Vault token for one hcv config: the configured `token`, or a login (Kubernetes service
 * account JWT, AppRole with an optionally response-wrapped secret id) cached for the lease.
 */
export class VaultTokenSource {
  #token: { value: string; until: number } | undefined;
  #login: Promise<string> | undefined;
  /** An unwrapped AppRole secret id: a wrapping token can be unwrapped only once. */
  #secretId: string | undefined;

  constructor(
    private readonly config: VaultConfig,
    private readonly call: VaultCall,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether a refused token can be fixed by logging in again. */
  get renewable(): boolean {
    return this.config.auth_method !== 'token';
  }

  async token(): Promise<string> {
    if (this.config.auth_method === 'token') {
      if (typeof this.config.token !== 'string') throw backendError('no authentication mechanism worked for vault (token is not set)');
      return this.config.token;
    }
    if (this.#token && this.now() < this.#token.until) return this.#token.value;
    this.#login ??= this.#doLogin().finally(() => {
      this.#login = undefined;
    });
    return this.#login;
  }

  invalidate(): void {
    this.#token = undefined;
  }

  async #doLogin(): Promise<string> {
    const method = String(this.config.auth_method);
    const path = method === 'kubernetes' ? String(this.config.kube_auth_path) : String(this.config.approle_auth_path);
    const body = method === 'kubernetes' ? { role: this.config.kube_role, jwt: readSecretFile(String(this.config.kube_api_token_file ?? DEFAULT_KUBE_TOKEN_FILE), 'kube_api_token_file') } : { role_id: this.config.approle_role_id, secret_id: await this.#approleSecretId() };
    const res = await this.call('POST', `auth/${trimPath(path)}/login`, { body });
    const auth = res.body.auth as { client_token?: string; lease_duration?: number } | undefined;
    if (res.status !== 200 || !auth?.client_token) {
      throw backendError(`no authentication mechanism worked for vault (${method} login answered ${res.status}${errorsOf(res.body)})`);
    }
    const lease = auth.lease_duration ?? 0;
    // Renew at 90% of the lease so a request never carries a token about to expire.
    this.#token = { value: auth.client_token, until: lease > 0 ? this.now() + lease * 900 : Infinity };
    return auth.client_token;
  }

  async #approleSecretId(): Promise<string> {
    if (this.#secretId) return this.#secretId;
    const configured =
      typeof this.config.approle_secret_id === 'string' ? this.config.approle_secret_id : readSecretFile(String(this.config.approle_secret_id_file), 'approle_secret_id_file');
    if (!this.config.approle_response_wrapping) return configured;
    const res = await this.call('POST', 'sys/wrapping/unwrap', { token: configured });
    const secretId = (res.body.data as { secret_id?: string } | undefined)?.secret_id;
    if (res.status !== 200 || !secretId) throw backendError(`cannot unwrap the AppRole secret id (sys/wrapping/unwrap answered ${res.status}${errorsOf(res.body)})`);
    this.#secretId = secretId;
    return secretId;
  }
}

function readSecretFile(path: string, setting: string): string {
  try {
    return readFileSync(path, 'utf8').replace(/\n/g, '').trim();
  } catch (err) {
    throw backendError(`cannot read ${setting} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
