import { openDatabases, runApp, type AppContext, type StartedApp } from '@keygate/runtime';

/**
 * Composition root of the keyring broker: the long-lived keyring member that holds and
 * distributes the data-encryption keys and runs the rotation jobs (added by the keyring issues).
 */
export async function startKeyringBroker(ctx: AppContext): Promise<StartedApp> {
  const databases = await openDatabases(ctx);
  return { stop: () => databases.close() };
}

export function main(argv: readonly string[]): Promise<void> {
  return runApp({ app: 'keyring-broker', argv, start: startKeyringBroker });
}

if (require.main === module) void main(process.argv.slice(2));
