// Docker helpers for tools/compose (plain Node, no dependencies): run commands, make sure an
// engine answers (starting dockerd when none runs, and stopping only what was started here),
// and pick the compose command (`docker compose` v2 when present, else `docker-compose` v1).
const { spawn, spawnSync } = require('node:child_process');
const { mkdirSync, openSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..', '..');
// The classic builder: Debian's engine has no BuildKit front end without buildx.
const DOCKER_ENV = { ...process.env, DOCKER_BUILDKIT: '0', COMPOSE_DOCKER_CLI_BUILD: '0' };

class Fatal extends Error {}

/** Runs a command; returns stdout. Throws (with stderr) when it fails unless `allowFail`. */
function run(command, args, { env = DOCKER_ENV, allowFail = false, input, cwd = ROOT, inherit = false } = {}) {
  const result = spawnSync(command, args, { cwd, env, input, encoding: 'utf8', maxBuffer: 64 << 20, stdio: inherit ? [0, 2, 2] : 'pipe' });
  if (result.error) throw new Fatal(`${command}: ${result.error.message}`);
  if (result.status !== 0 && !allowFail) {
    throw new Fatal(`${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal})\n${(result.stderr ?? '').trim()}`);
  }
  return inherit ? '' : result.stdout.trim();
}

const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
const engineAnswers = () => spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'ignore', env: DOCKER_ENV }).status === 0;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * An engine that answers. When none runs, starts `dockerd --storage-driver=overlay2` (log in
 * tmp/compose/dockerd.log); `stop()` stops it again. Fails loudly when none can be started.
 */
async function ensureEngine(say) {
  if (!has('docker')) throw new Fatal('the docker command is missing (Debian: apt-get install -y docker.io docker-compose)');
  if (engineAnswers()) return { started: false, stop: async () => undefined };
  if (!has('dockerd')) throw new Fatal('no Docker engine answers and dockerd is missing (Debian: apt-get install -y docker.io)');
  const logDir = join(ROOT, 'tmp', 'compose');
  mkdirSync(logDir, { recursive: true });
  const log = openSync(join(logDir, 'dockerd.log'), 'a');
  say('no Docker engine answers; starting dockerd --storage-driver=overlay2 (log: tmp/compose/dockerd.log)');
  const child = spawn('dockerd', ['--storage-driver=overlay2'], { stdio: ['ignore', log, log], detached: true });
  let exited = null;
  child.on('exit', (code, signal) => (exited = code ?? signal));
  for (let i = 0; i < 60 && !engineAnswers(); i++) {
    if (exited !== null) throw new Fatal(`dockerd exited (${exited}) at start; see tmp/compose/dockerd.log`);
    await sleep(500);
  }
  if (!engineAnswers()) {
    child.kill('SIGTERM');
    throw new Fatal('dockerd did not answer within 30 s; see tmp/compose/dockerd.log');
  }
  return {
    started: true,
    stop: async () => {
      if (exited !== null) return;
      say('stopping the dockerd started for this run');
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([gone, sleep(20_000)]);
      if (exited === null) child.kill('SIGKILL');
    },
  };
}

/** `docker compose` (v2) when the plugin is there, else `docker-compose` (v1). KEYGATE_COMPOSE forces one. */
function composeCommand() {
  const forced = process.env.KEYGATE_COMPOSE;
  if (forced) return forced.split(' ');
  if (spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0) return ['docker', 'compose'];
  if (has('docker-compose')) return ['docker-compose'];
  throw new Fatal('neither `docker compose` nor docker-compose is installed (Debian: apt-get install -y docker-compose)');
}

module.exports = { DOCKER_ENV, Fatal, ROOT, composeCommand, ensureEngine, has, run, sleep };
