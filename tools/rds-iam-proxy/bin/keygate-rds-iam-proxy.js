#!/usr/bin/env node
// `keygate-rds-iam-proxy`: runs the built tool.
require('@keygate/tool-kit/bin/run-built')('keygate-rds-iam-proxy', require('node:path').join(__dirname, '../dist/cli.js'));
