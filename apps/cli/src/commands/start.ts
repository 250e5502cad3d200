import { UsageError, type AppArgs } from '@keygate/runtime';

export const NODE_APPS = ['proxy', 'admin', 'vault-resolver', 'keyring-broker'] as const;

/**
 * `keygate start <app> [-c FILE]`: runs that node in this process (so signals reach it
 * directly, as PID 1 in a container).
 */
export async function startNode(app: string, conf: string | undefined, awsKmsSecretName?: string): Promise<void> {
  if (!(NODE_APPS as readonly string[]).includes(app)) {
    throw new UsageError(`unknown app '${app}'; expected one of: ${NODE_APPS.join(', ')}`);
  }
  let entry: { main(args: AppArgs): Promise<void> };
  try {
    entry = require(`@keygate/app-${app}`) as typeof entry;
  } catch (err) {
    throw new UsageError(`apps/${app} is not built (${(err as Error).message}); run npm run build first`);
  }
  await entry.main({ ...(conf ? { conf } : {}), ...(awsKmsSecretName ? { awsKmsSecretName } : {}) });
}
