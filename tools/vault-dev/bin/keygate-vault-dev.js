#!/usr/bin/env node
// `keygate-vault-dev` / `npm run emulator:vault`: runs the built server.
try {
  require.resolve('../dist/cli.js');
} catch {
  process.stderr.write('keygate-vault-dev is not built yet: run `npm run build` in the repository first\n');
  process.exit(1);
}
require('../dist/cli.js')
  .main(process.argv.slice(2))
  .catch((error) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
