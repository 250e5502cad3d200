#!/usr/bin/env node
// `keygate-aws-emulator` / `npm run emulator:aws`: runs the built emulator.
require('@keygate/tool-kit/bin/run-built')('keygate-aws-emulator', require('node:path').join(__dirname, '../dist/cli.js'));
