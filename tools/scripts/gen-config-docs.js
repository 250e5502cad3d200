#!/usr/bin/env node
// Regenerates the configuration reference in README.md from the config schema.
// `--check` changes nothing and exits 1 when README.md is stale (run by `npm run lint`).
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..', '..');
let config;
try {
  config = require(join(ROOT, 'libs', 'config', 'dist'));
} catch {
  console.error('libs/config is not built; run npm run build first');
  process.exit(1);
}
const path = join(ROOT, 'README.md');
const current = readFileSync(path, 'utf8');
const next = config.replaceConfigReference(current);
if (next === current) process.exit(0);
if (process.argv.includes('--check')) {
  console.error('README.md: the configuration reference is stale; run npm run docs:config');
  process.exit(1);
}
writeFileSync(path, next);
console.log('README.md: configuration reference updated');
