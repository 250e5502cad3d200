#!/usr/bin/env node
// `npm test`: build, lint (including generated files being current), check that PostgreSQL and
// Redis answer (a missing service fails loudly, never skips tests), run every jest project,
// then scan the logs of every process the tests started for planted secrets.
// Extra arguments go to jest: `npm test -- apps/admin`.
const { spawnSync } = require('node:child_process');
const { existsSync, readdirSync, readFileSync, rmSync } = require('node:fs');
const { connect } = require('node:net');
const { join, relative } = require('node:path');

const ROOT = join(__dirname, '..', '..');
const LOG_DIR = join(ROOT, 'tmp', 'test-logs');
// What no log may ever contain: planted secrets (plantedSecret()), private keys, and the key
// material of the Kong vector the keyring tests import.
const FORBIDDEN = ['PLANTED-SECRET', 'PRIVATE KEY-----', 't6NWgbj3g9cbNVC3/D6oZ2Md1Br5gWtRrqb1T2FZy44='];

function step(what, command, args) {
  const started = Date.now();
  console.log(`\n== ${what}`);
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`\n== ${what} failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status || 1);
  }
  console.log(`== ${what}: ok (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

function reachable(host, port) {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(2000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function main() {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  step('build', npm, ['run', '--silent', 'build']);
  step('lint', npm, ['run', '--silent', 'lint']);

  const pgHost = process.env.KEYGATE_TEST_PG_HOST ?? '127.0.0.1';
  const pgPort = Number(process.env.KEYGATE_TEST_PG_PORT ?? 5432);
  const redis = new URL(process.env.KEYGATE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
  const missing = [];
  if (!(await reachable(pgHost, pgPort))) missing.push(`PostgreSQL at ${pgHost}:${pgPort}`);
  if (!(await reachable(redis.hostname, Number(redis.port || 6379)))) missing.push(`Redis at ${redis.host}`);
  if (missing.length > 0) {
    console.error(`\n== services missing: ${missing.join(', ')}\nStart them (DEVELOPERS.md, "Services") and run npm test again.`);
    process.exit(1);
  }

  rmSync(LOG_DIR, { recursive: true, force: true });
  step('jest', process.execPath, [join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), ...process.argv.slice(2)]);

  // Every file, also in the directories of nodes and doc sessions that keep their logs there.
  const files = existsSync(LOG_DIR)
    ? readdirSync(LOG_DIR, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => relative(LOG_DIR, join(entry.parentPath ?? entry.path, entry.name)))
    : [];
  const leaks = files.flatMap((file) => {
    const text = readFileSync(join(LOG_DIR, file), 'utf8');
    return FORBIDDEN.filter((needle) => text.includes(needle)).map((needle) => `${file} (${needle.slice(0, 14)}...)`);
  });
  if (leaks.length > 0) {
    console.error(`\n== secret scan failed: secret material appears in ${leaks.join(', ')} (tmp/test-logs)`);
    process.exit(1);
  }
  console.log(`\n== secret scan: no secret material in ${files.length} log files`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
