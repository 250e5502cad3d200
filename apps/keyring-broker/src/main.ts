import { openDatabases, runApp, type AppContext } from '@keygate/runtime';

/**
 * Composition root of the keyring broker: the long-lived keyring member that holds and
 * distributes the data-encryption keys and runs the rotation jobs (added by the keyring issues).
 */
export async function startKeyringBroker(ctx: AppContext): Promise<void> {
  await openDatabases(ctx);
}

export function main(argv: readonly string[]): Promise<void> {
  return runApp({ app: 'keyring-broker', argv, start: startKeyringBroker });
}

if (require.main === module) void main(process.argv.slice(2));
