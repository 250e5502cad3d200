#!/usr/bin/env node
// `npm run test:compose`: the compose cluster for real. Starts dockerd when none runs (and stops
// it again), builds the absent images (tools/compose/image.js), runs the docs' Docker steps as
// written (docs.js: README's compose quick start, docs/secrets.md's `docker run` of the image's
// default command as Kong's guide runs Kong's), then: up --scale proxy=3, a key-auth consumer through the Admin API on 127.0.0.1, 401/200 through every proxy replica and
// the front, keyring rotations with per-replica convergence times, scale to 5, kill the broker,
// scale to 6 (the late joiner gets its keys from peers), down -v. Prints every phase's time and
// the convergence p50/max. Any failure exits 1 with the cluster's logs; nothing is skipped.
// KEYGATE_COMPOSE_KEEP=1 leaves the cluster up for a look.
const { randomBytes } = require('node:crypto');
const { connect } = require('node:net');
const { Fatal, ensureEngine } = require('./docker');
const { ensureImages } = require('./image');
const { ComposeCluster, http, until } = require('./cluster');
const { dockerDocs, runDockerDoc } = require('./docs');

const NODE_SERVICES = ['admin', 'keyring-broker', 'vault-resolver', 'proxy'];
const phases = [];
const convergence = [];
const say = (line) => console.log(`[compose] ${line}`);

async function phase(name, work) {
  const started = performance.now();
  say(`-- ${name}`);
  const result = await work();
  const seconds = (performance.now() - started) / 1000;
  phases.push([name, seconds]);
  say(`-- ${name}: ${seconds.toFixed(1)} s`);
  return result;
}

const portFree = (port) =>
  new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(true));
  });

/** The documented ports when free; another block of ports when something here holds them. */
async function ports() {
  const defaults = { KEYGATE_PROXY_PORT: 8000, KEYGATE_ADMIN_PORT: 8001, KEYGATE_AWS_EMULATOR_PORT: 4566, KEYGATE_VAULT_DEV_PORT: 8200 };
  const free = (await Promise.all(Object.values(defaults).map(portFree))).every(Boolean);
  if (free && !process.env.KEYGATE_COMPOSE_OFFSET) {
    return { KEYGATE_PROXY_PORTS: '8100-8149', KEYGATE_PROXY_STATUS_PORTS: '8300-8349', ...Object.fromEntries(Object.entries(defaults).map(([k, v]) => [k, String(v)])) };
  }
  const o = Number(process.env.KEYGATE_COMPOSE_OFFSET ?? 20000);
  say(`the documented ports are busy here; using 127.0.0.1:${o + 8000}/${o + 8001} and ranges from ${o + 8100}`);
  return {
    KEYGATE_PROXY_PORT: String(o + 8000),
    KEYGATE_ADMIN_PORT: String(o + 8001),
    KEYGATE_AWS_EMULATOR_PORT: String(o + 4566),
    KEYGATE_VAULT_DEV_PORT: String(o + 8200),
    KEYGATE_PROXY_PORTS: `${o + 8100}-${o + 8149}`,
    KEYGATE_PROXY_STATUS_PORTS: `${o + 8300}-${o + 8349}`,
  };
}

const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
};

async function main() {
  const engine = await phase('docker engine', () => ensureEngine(say));
  let cluster;
  try {
    const images = await phase('images (built only when absent or stale)', () => ensureImages(process.env.KEYGATE_IMAGE ?? 'keygate:prebuilt', say));
    // Before the cluster is up: what a user copies from the docs, verbatim. Each doc, and then the
    // cluster, checks the ports afresh (other work on the machine may take one meanwhile).
    for (const doc of dockerDocs()) {
      const docEnv = { ...images, ...(await ports()) };
      Object.assign(docEnv, { ADMIN_PORT: docEnv.KEYGATE_ADMIN_PORT, PROXY_PORT: docEnv.KEYGATE_PROXY_PORT, AWS_PORT: docEnv.KEYGATE_AWS_EMULATOR_PORT });
      await phase(`docs: the \`\`\`sh docker runnable blocks of ${doc.file}, as written`, () => runDockerDoc(doc, { env: docEnv, say }));
    }

    const env = { ...images, ...(await ports()) };
    const admin = `http://127.0.0.1:${env.KEYGATE_ADMIN_PORT}`;
    const front = `http://127.0.0.1:${env.KEYGATE_PROXY_PORT}`;
    cluster = new ComposeCluster({ project: process.env.KEYGATE_COMPOSE_PROJECT ?? 'keygate-compose-test', env, say });
    say(`compose: ${cluster.command.join(' ')}; images ${Object.values(images).join(', ')}`);
    cluster.compose(['down', '-v', '--remove-orphans'], { allowFail: true });

    const proxies = () => cluster.containers('proxy').filter((c) => c.status === 'running');
    const status = async (c) => (await http('GET', `http://127.0.0.1:${c.port(8007)}/status`, { timeoutMs: 2000 })).body;
    const scale = async (n) => {
      cluster.compose(['up', '-d', '--no-build', '--no-recreate', '--scale', `proxy=${n}`]);
      await cluster.waitHealthy(NODE_SERVICES, { oneShot: ['migrations'] });
      const list = proxies();
      if (list.length !== n) throw new Fatal(`expected ${n} running proxies, found ${list.length}`);
      return list;
    };

    await phase('up -d --scale proxy=3, wait until healthy', () => scale(3));
    // The file's default cluster secret is a public placeholder: every node must say so.
    for (const service of ['admin', 'proxy', 'keyring-broker', 'vault-resolver']) {
      if (!cluster.compose(['logs', '--no-color', service]).includes('keyring_cluster_secret is a local-only placeholder')) {
        throw new Fatal(`${service} did not warn about the local-only placeholder cluster secret`);
      }
    }

    const key = `compose-${randomBytes(12).toString('hex')}`;
    const keyring0 = await phase('admin calls on 127.0.0.1:8001: service, route, key-auth, consumer, credential', async () => {
      const calls = [
        ['/services', { name: 'health', url: 'http://vault-dev:8200/v1/sys/health' }],
        ['/services/health/routes', { name: 'health', 'paths[]': '/health' }],
        ['/services/health/plugins', { name: 'key-auth' }],
        ['/consumers', { username: 'alice' }],
        ['/consumers/alice/key-auth', { key }],
      ];
      for (const [path, form] of calls) {
        const res = await http('POST', `${admin}${path}`, { form });
        if (res.status !== 201) throw new Fatal(`POST ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
      }
      const ring = (await http('GET', `${admin}/keyring`)).body;
      if (!ring?.active) throw new Fatal(`the admin has no active key: ${JSON.stringify(ring)}`);
      return ring;
    });

    /** 401 without the key and 200 with it, through this port (waits for the change to arrive). */
    const serves = async (label, base) => {
      await until(`${label}: 401 without key`, async () => (await http('GET', `${base}/health`)).status === 401, { timeoutMs: 30_000 });
      const ok = await until(`${label}: 200 with key`, async () => (await http('GET', `${base}/health`, { headers: { apikey: key } })).status === 200, { timeoutMs: 30_000 });
      const wrong = await http('GET', `${base}/health`, { headers: { apikey: `${key}x` } });
      if (wrong.status !== 401) throw new Fatal(`${label}: a wrong key answered ${wrong.status}`);
      return ok.ms;
    };
    const servesAll = async (list) => {
      for (const c of list) say(`${c.name} (127.0.0.1:${c.port(8000)}): 401 without key, 200 with key after ${(await serves(c.name, `http://127.0.0.1:${c.port(8000)}`)).toFixed(0)} ms`);
      for (let i = 0; i < list.length; i++) await serves('front', front);
      say(`front (${front}): 401/200 on ${list.length} connections`);
    };
    await phase('requests through every proxy replica and the front', () => servesAll(proxies()));

    /** Generate + activate; each proxy replica's time until its /status shows the new active key. */
    const rotate = async (label) => {
      const generated = await http('POST', `${admin}/keyring/generate`);
      if (generated.status !== 201) throw new Fatal(`keyring/generate answered ${generated.status}: ${JSON.stringify(generated.body)}`);
      const id = generated.body.id;
      const list = proxies();
      const started = performance.now();
      const activated = await http('POST', `${admin}/keyring/activate`, { form: { key: id } });
      if (activated.status !== 204) throw new Fatal(`keyring/activate answered ${activated.status}: ${JSON.stringify(activated.body)}`);
      const times = await Promise.all(
        list.map(async (c) => {
          await until(`${c.name} to show active key ${id}`, async () => (await status(c))?.keyring?.active === id, { timeoutMs: 30_000, everyMs: 10 });
          return performance.now() - started;
        }),
      );
      convergence.push(...times);
      say(`${label}: key ${id} active on ${list.length} proxies after ${times.map((t) => `${t.toFixed(0)}`).join(', ')} ms`);
      return id;
    };
    let active = await phase('keyring rotation x3, convergence per proxy replica', async () => {
      let id;
      for (let i = 1; i <= 3; i++) id = await rotate(`rotation ${i}`);
      return id;
    });

    /** The new replicas hold every key the cluster has and the active one, and serve. */
    const joiners = async (before, n) => {
      const started = performance.now();
      const list = await scale(n);
      const fresh = list.filter((c) => !before.includes(c.id));
      const expected = (await http('GET', `${admin}/keyring`)).body;
      for (const c of fresh) {
        const got = await until(`${c.name} to hold the keyring`, async () => {
          const ring = (await status(c))?.keyring;
          return ring?.active === active && expected.ids.every((k) => ring.ids.includes(k)) && ring;
        });
        say(`${c.name}: ${got.value.ids.length} keys, active ${got.value.active}, ${((performance.now() - started) / 1000).toFixed(1)} s after scale`);
      }
      await servesAll(fresh);
      return fresh;
    };
    await phase('scale to 5: new replicas get the keyring and serve', () => joiners(proxies().map((c) => c.id), 5));

    await phase('kill the keyring-broker, scale to 6: the late joiner gets keys from peers', async () => {
      cluster.compose(['kill', 'keyring-broker']);
      const broker = cluster.containers('keyring-broker');
      if (broker.some((c) => c.status === 'running')) throw new Fatal('the keyring-broker still runs after kill');
      say(`keyring-broker killed (${broker.map((c) => `${c.name}: ${c.status}`).join(', ')})`);
      const before = proxies().map((c) => c.id);
      const started = performance.now();
      const list = await (async () => {
        cluster.compose(['up', '-d', '--no-build', '--no-recreate', '--scale', `proxy=6`, 'proxy']);
        await cluster.waitHealthy(['admin', 'vault-resolver', 'proxy']);
        return proxies();
      })();
      if (cluster.containers('keyring-broker').some((c) => c.status === 'running')) throw new Fatal('scaling restarted the keyring-broker; the late joiner would not be tested against peers only');
      const fresh = list.filter((c) => !before.includes(c.id));
      if (fresh.length !== 1) throw new Fatal(`expected one new proxy, found ${fresh.length}`);
      const expected = (await http('GET', `${admin}/keyring`)).body;
      const got = await until(`${fresh[0].name} to hold the keyring from its peers`, async () => {
        const ring = (await status(fresh[0]))?.keyring;
        return ring?.active === active && expected.ids.every((k) => ring.ids.includes(k)) && ring;
      });
      say(`${fresh[0].name}: ${got.value.ids.length} keys, active ${got.value.active}, ${((performance.now() - started) / 1000).toFixed(1)} s after scale (no broker)`);
      await servesAll(fresh);
      active = await rotate('rotation without the broker');
    });

    const ring = (await http('GET', `${admin}/keyring`)).body;
    say(`keyring: ${ring.ids.length} keys (first active ${keyring0.active}, now ${ring.active})`);
  } catch (err) {
    if (cluster && !(err instanceof Fatal && /\n/.test(err.message))) console.error(cluster.logs());
    throw err;
  } finally {
    if (cluster && process.env.KEYGATE_COMPOSE_KEEP !== '1') {
      await phase('down -v', async () => cluster.compose(['down', '-v', '--remove-orphans'], { allowFail: true }));
    }
    await engine.stop();
    summary();
  }
}

function summary() {
  console.log('\n== compose test phases');
  for (const [name, seconds] of phases) console.log(`  ${seconds.toFixed(1).padStart(7)} s  ${name}`);
  console.log(`  ${phases.reduce((sum, [, s]) => sum + s, 0).toFixed(1).padStart(7)} s  total`);
  if (convergence.length > 0) {
    console.log(`== keyring convergence (activate -> each proxy's /status shows the key; ${convergence.length} samples, 10 ms polling)`);
    console.log(`  p50 ${quantile(convergence, 0.5).toFixed(0)} ms, max ${Math.max(...convergence).toFixed(0)} ms`);
  }
}

main().then(
  () => console.log('\n== compose test: ok'),
  (err) => {
    console.error(`\n== compose test FAILED: ${err instanceof Fatal ? err.message : err.stack}`);
    process.exit(1);
  },
);
