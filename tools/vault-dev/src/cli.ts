import { integer, parseOrExplain, serveUntilSignal } from '@keygate/tool-kit';
import { parseArgs } from 'node:util';
import { processEnv, type Env } from '@keygate/config';
import type { MountOption } from './namespace';
import type { VaultDevOptions } from './options';
import { startVaultDev, type VaultDev } from './vault';

const USAGE = `usage: keygate-vault-dev [options]
  --host HOST                  address to bind (default 127.0.0.1)
  --port N                     (default 0: a free port)
  --root-token T               root token (default: $VAULT_DEV_ROOT_TOKEN_ID, else generated)
  --mount PATH:VERSION         a KV mount, e.g. secret:2 or kv1:1 (repeatable; default secret:2)
  --namespace NAME             a namespace besides the root one (repeatable)
  --approle NAME:ROLE_ID:SECRET_ID           an AppRole role (repeatable)
  --approle-path PATH          AppRole auth mount (default approle)
  --kubernetes-role ROLE:JWT   an accepted Kubernetes role and service-account JWT (repeatable)
  --kubernetes-path PATH       Kubernetes auth mount (default kubernetes)
  --token-ttl SECONDS          TTL of login tokens (default 2764800)
Prints one JSON line with the bound address; stops on SIGINT/SIGTERM.`;

function split(value: string, parts: number, flag: string): string[] {
  const fields = value.split(':');
  // The last field takes the rest, so a secret ID or JWT may itself contain ':'.
  const head = fields.slice(0, parts - 1);
  const tail = fields.slice(parts - 1).join(':');
  if (head.length !== parts - 1 || head.some((f) => f === '') || tail === '') throw new Error(`--${flag} '${value}' needs ${parts} ':'-separated fields`);
  return [...head, tail];
}

export function parseCli(argv: readonly string[], env: Env = {}): VaultDevOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'root-token': { type: 'string' },
      mount: { type: 'string', multiple: true },
      namespace: { type: 'string', multiple: true },
      approle: { type: 'string', multiple: true },
      'approle-path': { type: 'string' },
      'kubernetes-role': { type: 'string', multiple: true },
      'kubernetes-path': { type: 'string' },
      'token-ttl': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const mounts = values.mount?.map((m): MountOption => {
    const [path = '', version = ''] = split(m, 2, 'mount');
    if (version !== '1' && version !== '2') throw new Error(`--mount '${m}': the version must be 1 or 2`);
    return { path, version: version === '1' ? 1 : 2 };
  });
  return {
    host: values.host,
    port: integer(values.port, 'port'),
    rootToken: values['root-token'] ?? (env['VAULT_DEV_ROOT_TOKEN_ID'] || undefined),
    mounts,
    namespaces: values.namespace,
    appRoles: values.approle?.map((a) => {
      const [roleName = '', roleId = '', secretId = ''] = split(a, 3, 'approle');
      return { roleName, roleId, secretId };
    }),
    appRoleAuthPath: values['approle-path'],
    kubernetesRoles: values['kubernetes-role']?.map((k) => {
      const [role = '', jwt = ''] = split(k, 2, 'kubernetes-role');
      return { role, jwt };
    }),
    kubernetesAuthPath: values['kubernetes-path'],
    defaultTokenTtlSeconds: integer(values['token-ttl'], 'token-ttl'),
  };
}

/** The one line a parent process reads to learn where the server listens. */
export function readyLine(vault: VaultDev, generatedToken: boolean): string {
  return JSON.stringify({ url: vault.url, port: vault.port, ...(generatedToken ? { rootToken: vault.rootToken } : {}) });
}

export async function main(argv: readonly string[]): Promise<void> {
  const options = parseOrExplain(() => parseCli(argv, processEnv()), USAGE);
  if (!options) return;
  const vault = await startVaultDev(options);
  serveUntilSignal(vault, readyLine(vault, options.rootToken === undefined));
}
