#!/usr/bin/env node
// `keygate-vault-dev` / `npm run emulator:vault`: runs the built server.
require('@keygate/tool-kit/bin/run-built')('keygate-vault-dev', require('node:path').join(__dirname, '../dist/cli.js'));
