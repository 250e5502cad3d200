import { hostname } from 'node:os';
import { encodeNodeConfig, NODE_CONFIG_FORMAT } from '@keygate/config';
import type { Output } from '../output';
import { adminUrl, call, type AdminCommandOptions } from './admin-client';

/** Settings that should be references (`{vault://...}`) rather than plaintext in a stored configuration. */
const SECRET_SETTINGS = /(^|_)(password|token|secret)$|^redis_url$/;

/**
 * `keygate ott-init <TOKEN> [--admin-url URL]`: exchanges a one-time enrollment token at the Admin
 * API (`POST /cluster/enroll`) for this node's configuration and prints it as one base64 string,
 * to be stored in AWS Secrets Manager and read at start with `--aws-kms-secret-name`. Nothing is
 * written to disk. A used, expired, revoked or unknown token exits 1 saying which.
 */
export async function ottInit(token: string, options: AdminCommandOptions, out: Output): Promise<number> {
  const base = await adminUrl(options);
  const { status, body } = await call(`${base}/cluster/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, hostname: hostname() }),
  });
  if (status !== 200) {
    out.err(`Error: ${String(body.message ?? `HTTP ${status}`)}`);
    return 1;
  }
  const settings = { cluster_control_plane: base, ...(body.settings as Record<string, string>) };
  for (const [key, value] of Object.entries(settings)) {
    if (SECRET_SETTINGS.test(key) && key !== 'cluster_node_credential' && !value.trim().startsWith('{vault://') && (key !== 'redis_url' || /:[^@/]+@/.test(value))) {
      out.err(`warning: ${key} is in the configuration as plaintext (the admin node has it so); prefer a {vault://...} reference`);
    }
  }
  out.log(encodeNodeConfig({ format: NODE_CONFIG_FORMAT, ...(typeof body.app === 'string' ? { app: body.app } : {}), settings }));
  out.err(`enrolled: node credential ${String(body.credential_id)} (revoke it with DELETE /cluster/credentials/${String(body.credential_id)})`);
  return 0;
}
