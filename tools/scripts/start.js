#!/usr/bin/env node
// `npm start`: install dependencies if missing, build (incremental), then run the local cluster
// (`keygate cluster up --proxies 2`, extra arguments passed through: `npm start -- -c my.conf`).
// Uses only Node's standard library, since it runs before dependencies are installed.
const { spawnSync, spawn } = require('node:child_process');
const { existsSync, statSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..', '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(command, args, what) {
  console.log(`keygate: ${what}...`);
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`keygate: ${what} failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status || 1);
  }
}

function dependenciesCurrent() {
  const marker = join(ROOT, 'node_modules', '.package-lock.json');
  if (!existsSync(marker)) return false;
  return statSync(marker).mtimeMs >= statSync(join(ROOT, 'package-lock.json')).mtimeMs;
}

if (!dependenciesCurrent()) run(npm, ['ci', '--no-audit', '--no-fund'], 'installing dependencies (npm ci)');
run(npm, ['run', '--silent', 'build'], 'building');

const args = process.argv.slice(2);
const proxies = args.includes('--proxies') ? [] : ['--proxies', '2'];
const child = spawn(process.execPath, [join(ROOT, 'bin', 'keygate'), 'cluster', 'up', ...proxies, ...args], {
  cwd: ROOT,
  stdio: 'inherit',
});
// Ctrl-C reaches the whole process group; a signal sent to this process alone (kill -INT <pid>)
// is passed on. The launcher stops every node on the first one and ignores repeats.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => child.kill('SIGTERM'));
}
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
