#!/usr/bin/env node
// `npx keygate` / `keygate` after `npm install`: runs the built CLI.
try {
  require.resolve('../dist/main.js');
} catch {
  process.stderr.write('keygate is not built yet: run `npm run build` in the repository first\n');
  process.exit(1);
}
require('../dist/main.js').main(process.argv.slice(2));
