// The image's default command as Kong's getting-started page runs Kong's (`docker run` with the
// database credentials as {vault://aws/...} references, then `curl -s localhost:8001`), on the
// compose cluster's network: its postgres (a database and role of its own), redis and the AWS
// emulator (standing in for AWS Secrets Manager).
const { randomBytes } = require('node:crypto');
const { Fatal, run } = require('./docker');
const { http, until } = require('./cluster');

/**
 * @param {import('./cluster').ComposeCluster} cluster
 * @param {{ image: string, awsPort: string, say: (line: string) => void }} options
 */
async function dockerRunDefaultCommand(cluster, { image, awsPort, say }) {
  const id = randomBytes(4).toString('hex');
  const user = `seed_${id}`;
  const password = `seed-${randomBytes(12).toString('hex')}`;
  const secretName = `kong-gateway-database-${id}`;
  const [postgres] = cluster.containers('postgres');
  if (!postgres) throw new Fatal('no postgres container');
  const network = Object.keys(JSON.parse(run('docker', ['inspect', postgres.id]))[0].NetworkSettings.Networks)[0];

  // The guide's steps: a role and database for the gateway, its credentials in Secrets Manager.
  run('docker', ['exec', postgres.id, 'psql', '-U', 'kong', '-d', 'kong', '-v', 'ON_ERROR_STOP=1', '-c', `CREATE USER ${user} WITH PASSWORD '${password}'`]);
  run('docker', ['exec', postgres.id, 'psql', '-U', 'kong', '-d', 'kong', '-v', 'ON_ERROR_STOP=1', '-c', `CREATE DATABASE ${user} OWNER ${user}`]);
  const aws = { ...process.env, AWS_ACCESS_KEY_ID: cluster.env.KEYGATE_AWS_ACCESS_KEY_ID ?? 'AKIAKEYGATELOCAL0001', AWS_SECRET_ACCESS_KEY: cluster.env.KEYGATE_AWS_SECRET_ACCESS_KEY ?? 'local-only-emulator-secret', AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'us-east-1' };
  run('aws', ['--endpoint-url', `http://127.0.0.1:${awsPort}`, 'secretsmanager', 'create-secret', '--name', secretName, '--secret-string', JSON.stringify({ pg_user: user, pg_password: password })], { env: aws });

  const common = [
    '--network', network,
    '-e', 'KONG_DATABASE=postgres',
    '-e', 'KONG_PG_HOST=postgres',
    '-e', `KONG_PG_DATABASE=${user}`,
    '-e', 'AWS_ACCESS_KEY_ID', '-e', 'AWS_SECRET_ACCESS_KEY', '-e', 'AWS_REGION',
    '-e', `KONG_PG_USER={vault://aws/${secretName}/pg_user}`,
    '-e', `KONG_PG_PASSWORD={vault://aws/${secretName}/pg_password}`,
    // Not in the guide (real AWS needs neither): the emulator's address, and the cluster's Redis.
    '-e', 'KONG_VAULT_AWS_ENDPOINT_URL=http://aws-emulator:4566',
    '-e', 'KONG_REDIS_URL=redis://redis:6379',
    '-e', `KONG_REDIS_PREFIX=seed-${id}`,
  ];
  run('docker', ['run', '--rm', ...common, image, 'migrations', 'bootstrap'], { env: aws });
  const name = `keygate-docker-run-${id}`;
  // The guide publishes nothing and curls from the same host; a test publishes on 127.0.0.1 only.
  run('docker', ['run', '-d', '--name', name, '-p', '127.0.0.1::8001', ...common, image], { env: aws });
  try {
    const port = JSON.parse(run('docker', ['inspect', name]))[0].NetworkSettings.Ports['8001/tcp'][0].HostPort;
    const answered = await until(`curl -s 127.0.0.1:${port} (the container's Admin API)`, async () => {
      const res = await http('GET', `http://127.0.0.1:${port}/`, { timeoutMs: 2000 });
      return res.status === 200 && res.body;
    }, { timeoutMs: 180_000, everyMs: 500 });
    if (!/Keygate/.test(answered.value.tagline ?? '')) throw new Fatal(`GET / answered ${JSON.stringify(answered.value).slice(0, 300)}`);
    // The Admin API answers before the last roles (vault-resolver, proxy) are up.
    await until('the container to report every role started', async () => run('docker', ['logs', name], { env: aws }).includes('"msg":"keygate node started"'), { timeoutMs: 180_000, everyMs: 1000 });
    say(`docker run ${image} (default command): Admin API answered on 127.0.0.1:${port} after ${(answered.ms / 1000).toFixed(1)} s; pg_user/pg_password from {vault://aws/${secretName}/...}`);
    const stopped = performance.now();
    run('docker', ['stop', '-t', '20', name]);
    const exit = JSON.parse(run('docker', ['inspect', name]))[0].State.ExitCode;
    if (exit !== 0) throw new Fatal(`the container exited ${exit} on docker stop:\n${run('docker', ['logs', '--tail', '40', name], { allowFail: true })}`);
    say(`docker stop: exit 0 after ${((performance.now() - stopped) / 1000).toFixed(1)} s`);
  } catch (err) {
    if (!(err instanceof Fatal) || !/\n/.test(err.message)) console.error(run('docker', ['logs', '--tail', '60', name], { allowFail: true }));
    throw err;
  } finally {
    run('docker', ['rm', '-f', name], { allowFail: true });
  }
}

module.exports = { dockerRunDefaultCommand };
