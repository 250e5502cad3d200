import { openDatabases, runApp, type AppContext } from '@keygate/runtime';

/**
 * Composition root of the vault resolver: the cluster's cache for `{vault://...}` references
 * found in entities (its backends and internal API are added by the secrets issue).
 */
export async function startVaultResolver(ctx: AppContext): Promise<void> {
  await openDatabases(ctx);
}

export function main(argv: readonly string[]): Promise<void> {
  return runApp({ app: 'vault-resolver', argv, start: startVaultResolver });
}

if (require.main === module) void main(process.argv.slice(2));
