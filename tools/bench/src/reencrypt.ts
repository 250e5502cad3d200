import { randomBytes } from 'node:crypto';
import { Secret } from '@keygate/crypto';
import { AppProcess, httpClient, redisPrefix, TestDatabase, type HttpClient } from '@keygate/testing';
import { machine, runBench } from './measure';

/**
 * `npm run bench:reencrypt [-- --rows 1000000]`: the re-encryption job's rows/s next to a plain
 * SQL UPDATE of the same column in the same run, and the time to resume after kill -9.
 */
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};

interface RunView {
  id: string;
  state: string;
  target_key_id: string;
  scanned: number;
  total: number;
  rows_per_second: number | null;
  started_at: number | null;
  finished_at: number | null;
}

async function waitRun(api: HttpClient, target: string, until: (r: RunView) => boolean, pollMs = 100): Promise<RunView> {
  for (;;) {
    const run = (await api.get<RunView>('/keyring/reencrypt')).json;
    if (run?.target_key_id === target && until(run)) return run;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

async function activateNew(api: HttpClient): Promise<string> {
  const { id } = (await api.post<{ id: string }>('/keyring/generate')).json;
  await api.post('/keyring/activate', { form: { key: id } });
  return id;
}

async function main(): Promise<void> {
  const rows = arg('rows', 200_000);
  const database = await TestDatabase.create();
  const env = {
    ...database.env(),
    KONG_KEYRING_ENABLED: 'on',
    KONG_KEYRING_CLUSTER_SECRET: randomBytes(24).toString('base64url'),
    KONG_REDIS_PREFIX: redisPrefix(),
    KONG_LOG_LEVEL: 'info',
  };
  const nodes: AppProcess[] = [];
  try {
    const admin = await AppProcess.start('admin', { env });
    nodes.push(admin);
    const api = httpClient(admin.url('admin'));
    const generated = (await api.post<{ id: string; key: string }>('/keyring/generate')).json;
    await api.post('/keyring/activate', { form: { key: generated.id } });
    process.stdout.write(`seeding ${rows} basic-auth credentials encrypted with ${generated.id}...\n`);
    await database.seedBasicAuth(rows, { id: generated.id, key: new Secret(Buffer.from(generated.key, 'base64')) }, 'bench');
    await database.query('VACUUM ANALYZE basicauth_credentials');

    const sqlStarted = performance.now();
    await database.query('UPDATE basicauth_credentials SET password = password');
    const sqlRate = rows / ((performance.now() - sqlStarted) / 1000);

    let broker = await AppProcess.start('keyring-broker', { env });
    nodes.push(broker);
    await waitRun(api, generated.id, (r) => r.state === 'done'); // the seed key's own (empty) run
    const target = await activateNew(api);
    const done = await waitRun(api, target, (r) => r.state === 'done');
    const jobRate = done.rows_per_second ?? 0;

    // Resume after kill -9 halfway: time from the new broker's start to the run moving again.
    const next = await activateNew(api);
    await waitRun(api, next, (r) => r.state === 'running' && r.scanned > r.total * 0.3, 20);
    broker.signal('SIGKILL');
    await broker.exited;
    const stalled = (await api.get<RunView>('/keyring/reencrypt')).json.scanned;
    const restart = performance.now();
    broker = await AppProcess.start('keyring-broker', { env });
    nodes.push(broker);
    await waitRun(api, next, (r) => r.scanned > stalled, 20);
    const resumeMs = performance.now() - restart;
    const finished = await waitRun(api, next, (r) => r.state === 'done');

    process.stdout.write(`\nmachine: ${machine()}; ${rows} rows, keyring_reencrypt_batch_size 1000\n\n`);
    process.stdout.write(`plain SQL UPDATE of the column     ${Math.round(sqlRate).toLocaleString('en-US')} rows/s\n`);
    process.stdout.write(`keyring-reencrypt job              ${Math.round(jobRate).toLocaleString('en-US')} rows/s  ratio ${(jobRate / sqlRate).toFixed(2)} of the plain UPDATE\n`);
    process.stdout.write(`goal >= 20,000 rows/s: ${jobRate >= 20_000 ? 'met' : 'NOT met'}\n`);
    process.stdout.write(`resume after kill -9 at ${Math.round((stalled / rows) * 100)}%: moving again ${(resumeMs / 1000).toFixed(1)} s after the broker restarted (process start, key exchange, resume from the checkpoint); finished with ${finished.scanned} rows scanned\n`);
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
    await database.drop();
  }
}

runBench(main);
