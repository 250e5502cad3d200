#!/usr/bin/env node
// `keygate-aws-emulator` / `npm run emulator:aws`: runs the built emulator.
try {
  require.resolve('../dist/cli.js');
} catch {
  process.stderr.write('keygate-aws-emulator is not built yet: run `npm run build` in the repository first\n');
  process.exit(1);
}
require('../dist/cli.js')
  .main(process.argv.slice(2))
  .catch((error) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
