// The docs' Docker steps as a user copies them: every ```sh docker runnable block of README.md and
// docs/*.md (the compose quick start; Kong's `docker run` guide of seeds 000/004 with the image),
// run verbatim in one shell per file, with their ```text output checked, by the doc-tests' own
// code (@keygate/testing doc-blocks, built by the images phase). The images and ports come in
// through the variables the blocks define with their defaults (KEYGATE_IMAGE, ADMIN_PORT, ...).
const { readdirSync, rmSync } = require('node:fs');
const { join } = require('node:path');
const { Fatal, ROOT, composeCommand, run } = require('./docker');

// Each must have Docker blocks: a doc-test that finds none would pass without running anything.
const REQUIRED = ['README.md', 'docs/secrets.md'];
const PROJECT = 'keygate-doc-test';

/** [{file, blocks}] for every doc with ```sh docker runnable blocks. */
function dockerDocs() {
  const { readDoc, runnableBlocks } = require('@keygate/testing');
  const files = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  const docs = files.map((file) => ({ file, blocks: runnableBlocks(readDoc(ROOT, file), file, { docker: true }) })).filter((d) => d.blocks.length > 0);
  const missing = REQUIRED.filter((file) => !docs.some((d) => d.file === file));
  if (missing.length > 0) throw new Fatal(`no \`\`\`sh docker runnable blocks in ${missing.join(', ')}`);
  return docs;
}

/** Removes what the blocks make (containers, networks, the compose project) after a failed run. */
function cleanUp(blocks, env) {
  const code = blocks.map((b) => b.code).join('\n');
  const names = [...code.matchAll(/--name[ =](\S+)/g)].map((m) => m[1]);
  if (names.length > 0) run('docker', ['rm', '-f', ...names], { allowFail: true });
  for (const [, network] of code.matchAll(/docker network create (\S+)/g)) run('docker', ['network', 'rm', network], { allowFail: true });
  if (/docker compose/.test(code)) {
    const [cmd, ...pre] = composeCommand();
    run(cmd, [...pre, '-f', join(ROOT, 'docker-compose.yml'), '-p', PROJECT, 'down', '-v', '--remove-orphans'], { env, allowFail: true });
  }
}

/**
 * Runs one doc's Docker blocks. `env`: the images and published ports (the compose file's
 * KEYGATE_* names; ADMIN_PORT, PROXY_PORT, AWS_PORT for the `docker run` steps).
 */
async function runDockerDoc({ file, blocks }, { env, say }) {
  const { cloneLikeDir, runSession, sessionFailures } = require('@keygate/testing');
  const label = file.replace(/[^a-z0-9]+/gi, '-').replace(/-md$/, '');
  const dir = cloneLikeDir(ROOT);
  const sessionEnv = { ...process.env, ...env, HOME: dir, COMPOSE_PROJECT_NAME: PROJECT, DOCKER_BUILDKIT: '0', COMPOSE_DOCKER_CLI_BUILD: '0' };
  // `docker compose` is v2; where only docker-compose (v1) is installed the blocks' `docker
  // compose ...` runs it (the README says both work; KEYGATE_COMPOSE chooses, as for the cluster).
  const prelude = composeCommand()[0] === 'docker' ? [] : ['docker() { if [ "$1" = compose ]; then shift; command docker-compose "$@"; else command docker "$@"; fi; }'];
  cleanUp(blocks, sessionEnv);
  try {
    const result = await runSession(blocks, { workDir: dir, env: sessionEnv, logDir: join(ROOT, 'tmp', 'compose', `docs-${label}`), label, timeoutMs: 420_000, prelude });
    const failures = sessionFailures(blocks, result);
    if (failures.length > 0) throw new Fatal(`${file}: the Docker steps do not run as written (log: tmp/compose/docs-${label})\n${failures.join('\n\n')}`);
    say(`${file}: ${blocks.length} docker blocks ran as written (${blocks.map((b) => `line ${b.line}`).join(', ')}), output as shown`);
  } finally {
    cleanUp(blocks, sessionEnv);
    rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { dockerDocs, runDockerDoc };
