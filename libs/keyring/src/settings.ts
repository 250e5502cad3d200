import type { KeyObject } from 'node:crypto';
import type { Config } from '@keygate/config';
import { loadRsaKey, type Secret } from '@keygate/crypto';

export interface VaultKeyringSettings {
  readonly host: string;
  readonly mount: string;
  readonly path: string;
  readonly authMethod: 'token' | 'kubernetes';
  readonly token: Secret<string> | undefined;
  readonly kubeRole: string;
  readonly kubeTokenFile: string;
  readonly timeoutMs: number;
}

export interface KeyringSettings {
  readonly enabled: boolean;
  readonly strategy: 'cluster' | 'vault';
  /** `keyring_public_key`: export and the blob file are encrypted to it. */
  readonly publicKey: KeyObject | undefined;
  /** `keyring_private_key`: import and the blob file are decrypted with it. */
  readonly privateKey: KeyObject | undefined;
  /** `keyring_recovery_public_key`: every key is also stored encrypted to it. */
  readonly recoveryPublicKey: KeyObject | undefined;
  readonly blobPath: string | undefined;
  /** `keyring_cluster_secret`: authenticates recovery rows (and admits members). */
  readonly clusterSecret: Secret<string> | undefined;
  /** `keyring_accept_plaintext`: read unmarked values in encrypted fields as plaintext (migration only). */
  readonly acceptPlaintext: boolean;
  readonly vault: VaultKeyringSettings | undefined;
}

/**
 * The keyring part of the configuration, with the RSA keys read (file path, PEM or base64 PEM).
 * Start-up has already validated them (libs/config), so failures here are not expected.
 */
export function keyringSettings(config: Config): KeyringSettings {
  const load = (setting: string, value: string | undefined, kind: 'public' | 'private') =>
    config.keyring_enabled && value ? loadRsaKey(setting, value, kind) : undefined;
  return {
    enabled: config.keyring_enabled,
    strategy: config.keyring_strategy,
    publicKey: load('keyring_public_key', config.keyring_public_key, 'public'),
    privateKey: load('keyring_private_key', config.keyring_private_key?.reveal(), 'private'),
    recoveryPublicKey: load('keyring_recovery_public_key', config.keyring_recovery_public_key, 'public'),
    blobPath: config.keyring_blob_path,
    clusterSecret: config.keyring_cluster_secret,
    acceptPlaintext: config.keyring_accept_plaintext,
    vault:
      config.keyring_strategy === 'vault' && config.keyring_vault_host && config.keyring_vault_mount && config.keyring_vault_path
        ? {
            host: config.keyring_vault_host.replace(/\/+$/, ''),
            mount: config.keyring_vault_mount.replace(/^\/+|\/+$/g, ''),
            path: config.keyring_vault_path.replace(/^\/+|\/+$/g, ''),
            authMethod: config.keyring_vault_auth_method,
            token: config.keyring_vault_token,
            kubeRole: config.keyring_vault_kube_role,
            kubeTokenFile: config.keyring_vault_kube_api_token_file,
            timeoutMs: config.pg_timeout,
          }
        : undefined,
  };
}
