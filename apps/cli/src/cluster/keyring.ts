import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadedConfig } from '@keygate/config';

const ADMIN_TIMEOUT_MS = 30_000;

export interface LocalKeyring {
  /** KONG_* settings for the nodes. */
  readonly env: Record<string, string>;
  /** After the nodes are up: recover keys a previous run stored, when the nodes lack them. */
  /** `headers`: the super admin's `Kong-Admin-Token` when `enforce_rbac` is on. */
  recoverIfNeeded(adminUrl: string | undefined, say: (line: string) => void, headers?: Record<string, string>): Promise<void>;
}

/**
 * The local cluster runs with the keyring on (unless the configuration says otherwise) and a
 * recovery key pair of its own under the state directory, so that `npm start` after a stop gets
 * its keys back from the database. For local use only: in production the recovery private key is
 * kept off the nodes.
 */
/**
 * The cluster secret of the local cluster when the configuration sets none: made once and kept
 * in the state directory (mode 0600), so that recovery rows written in one run (authenticated
 * with it) verify in the next.
 */
export function localClusterSecret(stateDir: string): string {
  const path = join(stateDir, 'keyring-cluster-secret');
  if (!existsSync(path)) writeFileSync(path, randomBytes(32).toString('base64url'), { mode: 0o600 });
  return readFileSync(path, 'utf8').trim();
}

export function localKeyring(loaded: LoadedConfig, stateDir: string): LocalKeyring {
  const env: Record<string, string> = {};
  if (!loaded.sources.has('keyring_enabled')) env.KONG_KEYRING_ENABLED = 'on';
  const enabled = env.KONG_KEYRING_ENABLED === 'on' || loaded.config.keyring_enabled;
  const ownRecovery = enabled && loaded.config.keyring_strategy === 'cluster' && !loaded.config.keyring_recovery_public_key;
  const privatePath = join(stateDir, 'keyring-recovery-key.pem');
  const publicPath = join(stateDir, 'keyring-recovery-cert.pem');
  if (ownRecovery) {
    if (!existsSync(privatePath)) {
      const pair = generateKeyPairSync('rsa', {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      });
      writeFileSync(privatePath, pair.privateKey, { mode: 0o600 });
      writeFileSync(publicPath, pair.publicKey, { mode: 0o644 });
    }
    env.KONG_KEYRING_RECOVERY_PUBLIC_KEY = publicPath;
  }
  return {
    env,
    async recoverIfNeeded(adminUrl, say, headers = {}) {
      if (!ownRecovery || !adminUrl) return;
      const checked = await fetch(`${adminUrl}/keyring`, { headers, signal: AbortSignal.timeout(ADMIN_TIMEOUT_MS) });
      if (!checked.ok) {
        say(`keyring: cannot check for keys to recover (GET /keyring answered ${checked.status}${checked.status === 401 ? '; with enforce_rbac set KONG_PASSWORD' : ''})`);
        return;
      }
      const view = (await checked.json()) as { missing?: string[] };
      if (!view.missing?.length) return;
      const form = new FormData();
      form.append('recovery_private_key', new Blob([readFileSync(privatePath, 'utf8')]), 'key.pem');
      const res = await fetch(`${adminUrl}/keyring/recover`, { method: 'POST', body: form, headers, signal: AbortSignal.timeout(ADMIN_TIMEOUT_MS) });
      const body = (await res.json()) as { message?: string; active?: string };
      say(`keyring: ${body.message ?? `recover answered ${res.status}`} from the database (local recovery key in ${stateDir}); active ${body.active ?? 'none'}`);
    },
  };
}
