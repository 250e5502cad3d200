// The compose cluster as the test drives it: `compose(...)` with the project and images, the
// containers of a service with their published ports, readiness, and HTTP calls on 127.0.0.1.
const { join } = require('node:path');
const { Fatal, ROOT, composeCommand, run, sleep } = require('./docker');

class ComposeCluster {
  /** @param {{project: string, env: Record<string,string>, say: (line: string) => void}} options */
  constructor({ project, env, say }) {
    this.project = project;
    this.env = { ...process.env, ...env, COMPOSE_PROJECT_NAME: project, DOCKER_BUILDKIT: '0', COMPOSE_DOCKER_CLI_BUILD: '0' };
    this.command = composeCommand();
    this.say = say;
  }

  compose(args, options = {}) {
    const [cmd, ...pre] = this.command;
    return run(cmd, [...pre, '-f', join(ROOT, 'docker-compose.yml'), '-p', this.project, ...args], { env: this.env, ...options });
  }

  /** Containers of a service (oldest first) with state, health and published 127.0.0.1 ports. */
  containers(service) {
    const ids = run('docker', ['ps', '-aq', '--filter', `label=com.docker.compose.project=${this.project}`, '--filter', `label=com.docker.compose.service=${service}`]);
    if (!ids) return [];
    return JSON.parse(run('docker', ['inspect', ...ids.split('\n')]))
      .map((c) => ({
        id: c.Id.slice(0, 12),
        name: c.Name.replace(/^\//, ''),
        number: Number(c.Config.Labels['com.docker.compose.container-number']),
        created: c.Created,
        status: c.State.Status,
        exitCode: c.State.ExitCode,
        health: c.State.Health?.Status,
        port: (inner) => {
          const binding = (c.NetworkSettings.Ports?.[`${inner}/tcp`] ?? []).find((b) => b.HostIp === '127.0.0.1');
          return binding ? Number(binding.HostPort) : undefined;
        },
      }))
      .sort((a, b) => a.number - b.number);
  }

  /** Until every container of these services is healthy (or, for `oneShot`, exited 0). */
  async waitHealthy(services, { oneShot = [], timeoutMs = 240_000 } = {}) {
    const deadline = Date.now() + timeoutMs;
    let pending = [];
    while (Date.now() < deadline) {
      pending = [];
      for (const service of services) {
        const list = this.containers(service).filter((c) => c.status !== 'exited' || oneShot.includes(service));
        if (list.length === 0) pending.push(`${service}: no container`);
        for (const c of list) {
          if (oneShot.includes(service)) {
            if (c.status === 'exited' && c.exitCode !== 0) throw new Fatal(`${c.name} exited with ${c.exitCode}\n${this.logs(service)}`);
            if (c.status !== 'exited') pending.push(`${c.name}: ${c.status}`);
          } else if (c.health ? c.health !== 'healthy' : c.status !== 'running') {
            pending.push(`${c.name}: ${c.health ?? c.status}`);
          }
        }
      }
      if (pending.length === 0) return;
      await sleep(1000);
    }
    throw new Fatal(`not healthy after ${timeoutMs / 1000} s: ${pending.join(', ')}\n${this.logs()}`);
  }

  logs(service) {
    return this.compose(['logs', '--no-color', '--tail', '40', ...(service ? [service] : [])], { allowFail: true });
  }
}

/** A JSON HTTP call with a timeout; form bodies as application/x-www-form-urlencoded. */
async function http(method, url, { form, headers = {}, timeoutMs = 5000 } = {}) {
  const init = { method, headers: { ...headers }, signal: AbortSignal.timeout(timeoutMs) };
  if (form) {
    init.body = new URLSearchParams(form).toString();
    init.headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  const res = await fetch(url, init);
  const text = await res.text();
  let body = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body };
}

/** Polls `probe` until it returns a truthy value; the elapsed ms and that value. */
async function until(what, probe, { timeoutMs = 60_000, everyMs = 25 } = {}) {
  const started = performance.now();
  let last;
  while (performance.now() - started < timeoutMs) {
    try {
      const value = await probe();
      if (value) return { ms: performance.now() - started, value };
      last = undefined;
    } catch (err) {
      last = err;
    }
    await sleep(everyMs);
  }
  throw new Fatal(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? ` (last error: ${last.message})` : ''}`);
}

module.exports = { ComposeCluster, http, until };
