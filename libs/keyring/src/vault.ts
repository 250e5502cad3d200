import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Secret } from '@keygate/crypto';
import { HcvClient, HcvUnreachableError, type HcvCallOptions, type HcvResponse } from '@keygate/hcv';
import type { Logger } from '@keygate/logging';
import { retry } from '@keygate/net';
import { KeyringError } from './errors';
import type { Keyring } from './keyring';
import type { VaultKeyringSettings } from './settings';
import { INDEX_KEY_ID, isIndexKeyId } from './index-key';

const vaultError = (message: string) => new KeyringError('KEYRING_VAULT', message);

interface Metadata {
  current_version: number;
  versions: Record<string, { deletion_time: string; destroyed: boolean }>;
}

/**
 * The `vault` strategy: keys come from a Vault KV v2 secret, one version per key holding
 * `{"id", "key"}`; the data key is SHA-256 of the `key` string and `current_version` is active.
 * Read only: nothing is ever written to Vault or to the keyring tables.
 */
export class VaultKeyring {
  readonly #vault: HcvClient;

  constructor(
    private readonly settings: VaultKeyringSettings,
    private readonly keyring: Keyring,
    private readonly logger: Logger,
  ) {
    this.#vault = new HcvClient({ address: settings.host, timeoutMs: settings.timeoutMs });
  }

  /** Reads Vault at start with bounded retries; a node that cannot read it starts without keys. */
  async start(attempts = 3): Promise<void> {
    try {
      await retry(() => this.sync(), { attempts, initialMs: 1000, maxMs: 30_000 });
    } catch (err) {
      this.logger.error({ err }, 'cannot read the keyring from Vault; encrypted fields are unavailable until POST /keyring/vault/sync succeeds');
    }
  }

  /** Re-reads every live version (`POST /keyring/vault/sync`, optionally with a new token). */
  async sync(token?: string): Promise<void> {
    const clientToken = token ? new Secret(token) : await this.#login();
    const { mount, path } = this.settings;
    const meta = await this.#get<{ data: Metadata }>(`${mount}/metadata/${path}`, clientToken, 'keyring secret versions');
    const versions = Object.entries(meta.data?.versions ?? {}).filter(([, v]) => !v.destroyed && !v.deletion_time);
    if (!meta.data || versions.length === 0) throw vaultError('no metadata found');
    let activeId: string | undefined;
    let indexKey: { version: number; value: string } | undefined;
    for (const [version] of versions) {
      const secret = await this.#get<{ data: { data: { id?: unknown; key?: unknown; index_key?: unknown } } }>(
        `${mount}/data/${path}?version=${version}`,
        clientToken,
        'keyring secret',
      );
      const { id, key, index_key: index } = secret.data?.data ?? {};
      if (typeof index === 'string' && index !== '' && (!indexKey || Number(version) > indexKey.version)) indexKey = { version: Number(version), value: index };
      if (typeof id !== 'string' || typeof key !== 'string' || isIndexKeyId(id)) {
        this.logger.warn({ version }, 'Vault keyring version without string id and key; skipped');
        continue;
      }
      this.keyring.add({ id, key: new Secret(createHash('sha256').update(key).digest()) });
      if (Number(version) === meta.data.current_version) activeId = id;
    }
    if (activeId) this.keyring.activate(activeId);
    // Lookup digests are keyed with it; like data keys, the stored string is hashed to 32 bytes.
    if (indexKey) this.keyring.add({ id: INDEX_KEY_ID, key: new Secret(createHash('sha256').update(indexKey.value).digest()) });
    else this.logger.error('the Vault keyring secret has no index_key: key-auth credentials cannot be written until a version holds one (see docs/keyring.md)');
    this.logger.info({ key_ids: this.keyring.ids(), active: activeId }, 'keyring synced from Vault');
  }

  async #login(): Promise<Secret<string>> {
    if (this.settings.authMethod === 'token') {
      if (!this.settings.token) throw vaultError('keyring_vault_token is not set');
      return this.settings.token;
    }
    let jwt: string;
    try {
      jwt = readFileSync(this.settings.kubeTokenFile, 'utf8').trim();
    } catch (err) {
      throw vaultError(`cannot read keyring_vault_kube_api_token_file ${this.settings.kubeTokenFile}: ${(err as NodeJS.ErrnoException).code}`);
    }
    const res = await this.#call('POST', 'auth/kubernetes/login', { body: { role: this.settings.kubeRole, jwt } });
    const auth = res.body?.auth as { client_token?: string } | undefined;
    if (res.status < 200 || res.status >= 300 || !auth?.client_token) throw vaultError(`no authentication mechanism worked for vault (kubernetes login answered ${res.status})`);
    return new Secret(auth.client_token);
  }

  async #get<T>(path: string, token: Secret<string>, what: string): Promise<T> {
    const res = await this.#call('GET', path, { token: token.reveal() });
    if (res.status === 403) throw vaultError(`Vault refused the token (403) when reading the ${what}`);
    if (res.status < 200 || res.status >= 300) throw vaultError(`invalid response code when fetching ${what}: ${res.status}`);
    if (res.body === undefined) throw vaultError('invalid response');
    return res.body as T;
  }

  async #call(method: 'GET' | 'POST', path: string, options: HcvCallOptions): Promise<HcvResponse> {
    try {
      return await this.#vault.call(method, path, options);
    } catch (err) {
      throw err instanceof HcvUnreachableError ? vaultError(err.message) : err;
    }
  }
}
