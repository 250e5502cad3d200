import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { AppProcess, baseEnv, httpClient, plantedSecret, runCli, useTestDatabase, type HttpClient } from '@keygate/testing';
import { startAwsEmulator, type AwsEmulator } from '@keygate/tool-aws-emulator';
import { readSecretString } from '@keygate/aws';
import { loadConfig } from '@keygate/config';
import { ClusterAdmission, Secret } from '@keygate/crypto';

jest.setTimeout(180_000);

/**
 * Seed 003 for Keygate nodes: an enrollment token is exchanged with `keygate ott-init` for the
 * node's configuration (one base64 string), stored in Secrets Manager with the real `aws` CLI,
 * and a proxy started with nothing but the secret's name and the instance role (IMDSv2) joins
 * the cluster, gets the keyring and serves a key-auth request. Everything AWS is the emulator.
 */
const database = useTestDatabase();
const clusterSecret = plantedSecret('cluster-secret');
const apiKey = plantedSecret('consumer-key');
const KEY = { accessKeyId: 'AKIAKEYGATEENROLL001', secretAccessKey: plantedSecret('aws-operator-key') };
const suffix = randomBytes(4).toString('hex');
const secretName = `keygate-node-${suffix}`;

let aws: AwsEmulator;
let admin: AppProcess;
let api: HttpClient;
let upstream: Server;
let upstreamUrl: string;
let config: string;

/** The real aws CLI (1.x here: AWS_DEFAULT_REGION, --endpoint-url for the emulator). */
function awsCli(args: string[], region = 'us-east-1'): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn('aws', [...args, '--endpoint-url', aws.url], {
    env: baseEnv({
      AWS_ACCESS_KEY_ID: KEY.accessKeyId,
      AWS_SECRET_ACCESS_KEY: KEY.secretAccessKey,
      AWS_DEFAULT_REGION: region,
      AWS_REGION: region,
      AWS_CONFIG_FILE: '/nonexistent/aws-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) => child.once('exit', (code) => (clearTimeout(timer), resolve({ code, stdout, stderr }))));
}

/** A node on an "EC2 instance": its credentials and region come from IMDSv2 only, nothing on disk. */
const instanceEnv = (extra: Record<string, string> = {}) => ({
  AWS_EC2_METADATA_SERVICE_ENDPOINT: aws.imdsUrl,
  AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url,
  AWS_CONFIG_FILE: '/nonexistent/aws-config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
  KONG_PROXY_WORKERS: '1',
  ...extra,
});

async function until<T>(read: () => Promise<T>, accept: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value !== undefined && accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms (last: ${JSON.stringify(value)})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const newToken = async (body: Record<string, unknown> = { app: 'proxy' }) => {
  const res = await api.post<{ token: string; id: string }>('/cluster/enrollment-tokens', { json: body });
  expect(res.status).toBe(201);
  return res.json;
};

beforeAll(async () => {
  aws = await startAwsEmulator({ accessKeys: [KEY], region: 'us-east-1' });
  upstream = createServer((_req, res) => res.end('upstream says hi'));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  // Admissions of enrolled nodes last 15 s here (1 h by default), so renewal and expiry can be watched.
  admin = await AppProcess.start('admin', { env: { ...database.get().env(), KONG_KEYRING_ENABLED: 'on', KONG_KEYRING_CLUSTER_SECRET: clusterSecret, KONG_CLUSTER_ADMISSION_TTL: '15s' } });
  api = httpClient(admin.url('admin'));
  await api.post('/services', { form: { name: 'echo', url: upstreamUrl } });
  await api.post('/services/echo/routes', { json: { name: 'keyed', paths: ['/keyed'] } });
  await api.post('/routes/keyed/plugins', { form: { name: 'key-auth' } });
  await api.post('/consumers', { form: { username: 'alice' } });
  expect((await api.post('/consumers/alice/key-auth', { form: { key: apiKey } })).status).toBe(201);
});
afterAll(async () => {
  await admin?.stop();
  await aws?.stop();
  await new Promise((r) => upstream?.close(r));
});

describe('a node run from AWS Secrets Manager', () => {
  let proxy: AppProcess | undefined;
  afterEach(async () => {
    await proxy?.stop();
    proxy = undefined;
  });

  it('token -> ott-init -> aws secretsmanager create-secret -> a proxy with only the secret name joins and serves key-auth', async () => {
    const { token, id: tokenId } = await newToken();
    const init = await runCli(['ott-init', token, '--admin-url', admin.url('admin')]);
    expect(init.stderr).toContain('enrolled: node credential');
    expect(init.code).toBe(0);
    config = init.stdout.trim();
    expect(config).toMatch(/^[A-Za-z0-9+/]+=*$/);
    const settings = (JSON.parse(Buffer.from(config, 'base64').toString('utf8')) as { settings: Record<string, string> }).settings;
    // What the node needs to join, and not the cluster secret itself.
    expect(settings).toMatchObject({ pg_database: database.get().settings().pg_database, keyring_enabled: 'on', cluster_control_plane: admin.url('admin') });
    expect(settings.cluster_node_credential).toMatch(/^kgn1\./);
    // The admission key's public half, which every join of this node must be answered with.
    expect(settings.cluster_admission_key).toBe(ClusterAdmission.fromSecret(new Secret(clusterSecret)).publicKey);
    expect(config).not.toContain(Buffer.from(clusterSecret).toString('base64'));
    expect(JSON.stringify(settings)).not.toContain(clusterSecret);

    const created = await awsCli(['secretsmanager', 'create-secret', '--name', secretName, '--secret-string', config]);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout).ARN).toMatch(new RegExp(`:secret:${secretName}-[A-Za-z0-9]{6}$`));

    proxy = await AppProcess.start('proxy', { env: instanceEnv({ AWS_KMS_SECRET_NAME: secretName }) });
    expect(proxy.output).toContain('joined the cluster with this node');
    const keyed = await until(
      () => fetch(`${proxy!.url('proxy')}/keyed`, { headers: { apikey: apiKey } }),
      (r) => r.status === 200,
    );
    expect(await keyed.text()).toBe('upstream says hi');
    expect((await fetch(`${proxy.url('proxy')}/keyed`)).status).toBe(401);
    expect((await fetch(`${proxy.url('proxy')}/keyed`, { headers: { apikey: 'wrong' } })).status).toBe(401);
    // The token's use names the node it enrolled.
    const nodeId = ((await (await fetch(`${proxy.url('status')}/status`)).json()) as { node_id: string }).node_id;
    expect((await api.get<{ node_id: string; state: string }>(`/cluster/enrollment-tokens/${tokenId}`)).json).toMatchObject({ state: 'used', node_id: nodeId });
  });

  it('refuses the token a second time: ott-init exits 1 saying it was used', async () => {
    const { token } = await newToken();
    expect((await runCli(['ott-init', token, '--admin-url', admin.url('admin')])).code).toBe(0);
    const again = await runCli(['ott-init', token, '--admin-url', admin.url('admin')]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/Error: enrollment token [0-9a-f-]{36} has already been used/);
    expect(again.stdout).toBe('');
  });

  it('refuses a join answered with another admission key than the one its configuration names', async () => {
    const other = ClusterAdmission.fromSecret(new Secret('another cluster')).publicKey;
    const refused = await AppProcess.start('proxy', { env: instanceEnv({ AWS_KMS_SECRET_NAME: secretName, KONG_CLUSTER_ADMISSION_KEY: other }), waitReady: false });
    expect((await refused.exited).code).toBe(1);
    expect(refused.output).toContain('answered with another admission key than cluster_admission_key');
  });

  it('enrolls data-plane nodes only: the same configuration cannot start an Admin API node, which would need the cluster secret', async () => {
    const refused = await AppProcess.start('admin', { env: instanceEnv({ AWS_KMS_SECRET_NAME: secretName }), waitReady: false });
    expect((await refused.exited).code).toBe(1);
    expect(refused.output).toContain("refused this node's join: app: node credentials admit proxy and vault-resolver nodes; admin nodes hold keyring_cluster_secret and are not enrolled");
    expect(refused.output).not.toContain(clusterSecret);
  });

  it('refuses a revoked node credential at the next join; the node does not start and says why', async () => {
    const settings = (JSON.parse(Buffer.from(config, 'base64').toString('utf8')) as { settings: Record<string, string> }).settings;
    const credentialId = settings.cluster_node_credential!.split('.')[1]!;
    const listed = await api.get<{ data: Array<{ id: string; last_join_node_id: string | null }> }>('/cluster/credentials');
    expect(listed.json.data.find((c) => c.id === credentialId)?.last_join_node_id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await api.delete(`/cluster/credentials/${credentialId}`)).status).toBe(204);

    const refused = await AppProcess.start('proxy', { env: instanceEnv({ AWS_KMS_SECRET_NAME: secretName }), waitReady: false });
    const exit = await refused.exited;
    expect(exit.code).toBe(1);
    expect(refused.output).toContain(`refused this node's join: node credential ${credentialId} was revoked`);
    expect(admin.output).toContain('refused a node join');
  });
});

describe('an enrolled node that keeps running after its credential is revoked', () => {
  const statusOf = async (node: AppProcess) => (await (await fetch(`${node.url('status')}/status`)).json()) as { node_id: string; keyring: { ids: string[]; members_seen?: number } };

  it('renews its admission while the credential is valid; once revoked, no member trusts it after cluster_admission_ttl and it gets no new key', async () => {
    const { token } = await newToken();
    const init = await runCli(['ott-init', token, '--admin-url', admin.url('admin')]);
    expect(init.code).toBe(0);
    const name = `${secretName}-running`;
    expect((await awsCli(['secretsmanager', 'create-secret', '--name', name, '--secret-string', init.stdout.trim()])).code).toBe(0);
    const credentialId = (JSON.parse(Buffer.from(init.stdout.trim(), 'base64').toString('utf8')) as { settings: Record<string, string> }).settings.cluster_node_credential!.split('.')[1]!;
    const proxy = await AppProcess.start('proxy', { env: instanceEnv({ AWS_KMS_SECRET_NAME: name }) });
    try {
      const nodeId = (await statusOf(proxy)).node_id;
      const proofOf = async () => (await database.get().query<{ admission_proof: string }>('SELECT admission_proof FROM cluster_nodes WHERE node_id = $1', [nodeId]))[0]?.admission_proof;
      const first = await until(proofOf, (p) => p !== undefined);
      const firstExpiry = ClusterAdmission.expiresAt(first!)!;
      expect(firstExpiry).toBeLessThanOrEqual(Date.now() + 15_000);
      // Renewed before it ends, with the same keys: the row carries the new proof.
      const renewed = await until(proofOf, (p) => p !== first, 20_000);
      expect(ClusterAdmission.expiresAt(renewed!)).toBeGreaterThan(firstExpiry);
      expect(proxy.output).toContain('renewed this node’s cluster admission');
      const membersSeen = async () => (await statusOf(admin)).keyring.members_seen;
      await until(membersSeen, (n) => n === 2);

      expect((await api.delete(`/cluster/credentials/${credentialId}`)).status).toBe(204);
      await until(async () => proxy.output, (out) => out.includes("the Admin API refused to renew this node's admission"), 20_000);
      // Its last proof ends; from then on the admin no longer counts it (nor sends it keys).
      await until(membersSeen, (n) => n === 1, 30_000);
      expect(ClusterAdmission.expiresAt((await proofOf())!)!).toBeLessThanOrEqual(Date.now());
      // Logged as the admin counted it out; the line may reach this process a moment after /status answered.
      await admin.waitForLine((line) => line.includes('refused keyring member'), 10_000);
      const made = await api.post<{ id: string }>('/keyring/generate');
      expect(made.status).toBe(201);
      // A member that is still admitted would hold it within milliseconds; this one never asks successfully.
      await new Promise((r) => setTimeout(r, 2000));
      expect((await statusOf(proxy)).keyring.ids).not.toContain(made.json.id);
      expect((await statusOf(admin)).keyring.ids).toContain(made.json.id);
    } finally {
      await proxy.stop();
    }
  });
});

describe('merging the secret under explicit settings', () => {
  it('the file (-c) and KONG_* variables win over the secret; the rest comes from the secret', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'keygate-conf-')), 'kong.conf');
    writeFileSync(file, 'pg_port = 6543\n');
    const env = { ...instanceEnv({ AWS_KMS_SECRET_NAME: secretName }), KONG_PG_HOST: 'db.from-env.internal' };
    const loaded = await loadConfig({ env, file, defaultPaths: [], awsSecret: { read: (name, awsEnv) => readSecretString(name, awsEnv) }, allowUnresolved: true });
    expect(loaded.config.pg_host).toBe('db.from-env.internal');
    expect(loaded.config.pg_port).toBe(6543);
    expect(loaded.config.pg_database).toBe(database.get().settings().pg_database);
    expect(loaded.sources.get('pg_database')).toEqual({ kind: 'aws-secret', name: secretName });
    expect(loaded.sources.get('pg_host')).toEqual({ kind: 'env', name: 'KONG_PG_HOST' });
  });

  it('keygate config check and migrations on the instance use the secret; the credential is redacted', async () => {
    const credential = (JSON.parse(Buffer.from(config, 'base64').toString('utf8')) as { settings: Record<string, string> }).settings.cluster_node_credential!;
    const check = await runCli(['config', 'check'], { env: instanceEnv({ AWS_KMS_SECRET_NAME: secretName }) });
    expect(check.stderr).not.toContain('Error');
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(new RegExp(`pg_database +\\= ${database.get().settings().pg_database} +# AWS secret ${secretName}`));
    expect(check.stdout).toMatch(/cluster_node_credential += \[REDACTED\]/);
    expect(check.stdout).not.toContain(credential.split('.')[2]);
    // Migrations find the database through the secret alone, too.
    const list = await runCli(['migrations', 'list'], { env: instanceEnv({ AWS_KMS_SECRET_NAME: secretName }) });
    expect(list.stdout).toContain('009_enrollment');
    expect(list.code).toBe(0);
  });

  it('a command that cannot read AWS secrets refuses AWS_KMS_SECRET_NAME instead of ignoring it', async () => {
    await expect(loadConfig({ env: { AWS_KMS_SECRET_NAME: secretName }, defaultPaths: [] })).rejects.toThrow(`cannot use AWS Secrets Manager secret "${secretName}"`);
  });
});

describe('refusing to start without its configuration, naming the secret and the cause', () => {
  const start = async (env: Record<string, string>, args: string[] = []) => {
    const node = await AppProcess.start('proxy', { env: instanceEnv(env), args, waitReady: false });
    const exit = await node.exited;
    expect(exit.code).toBe(1);
    return node.output;
  };

  it('a secret that does not exist', async () => {
    const out = await start({ AWS_KMS_SECRET_NAME: 'no-such-node-config' });
    expect(out).toContain('cannot use AWS Secrets Manager secret "no-such-node-config": no such secret in region us-east-1');
    // The same through `keygate start <app> --aws-kms-secret-name`.
    const cli = await runCli(['start', 'proxy', '--aws-kms-secret-name', 'no-such-node-config'], { env: instanceEnv() });
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain('aws_kms_secret_name (--aws-kms-secret-name): cannot use AWS Secrets Manager secret "no-such-node-config": no such secret in region us-east-1');
  });

  it('the wrong region', async () => {
    await awsCli(['secretsmanager', 'create-secret', '--name', `${secretName}-region`, '--secret-string', config]);
    const out = await start({ AWS_KMS_SECRET_NAME: `${secretName}-region`, AWS_REGION: 'eu-west-3' });
    expect(out).toContain(`cannot use AWS Secrets Manager secret "${secretName}-region": region eu-west-3 looks wrong for this secret`);
  });

  it('no AWS credentials', async () => {
    const out = await start({ AWS_KMS_SECRET_NAME: secretName, AWS_EC2_METADATA_DISABLED: 'true', AWS_REGION: 'us-east-1' });
    expect(out).toContain(`cannot use AWS Secrets Manager secret "${secretName}": no AWS credentials found`);
  });

  it('no region (not on an instance, no AWS_REGION)', async () => {
    const out = await start({ AWS_KMS_SECRET_NAME: secretName, AWS_EC2_METADATA_DISABLED: 'true', AWS_ACCESS_KEY_ID: KEY.accessKeyId, AWS_SECRET_ACCESS_KEY: KEY.secretAccessKey });
    expect(out).toContain(`cannot use AWS Secrets Manager secret "${secretName}": no AWS region: set AWS_REGION`);
  });

  it('a value that is not base64 (given with --aws-kms-secret-name)', async () => {
    const corrupt = `${secretName}-corrupt`;
    expect((await awsCli(['secretsmanager', 'create-secret', '--name', corrupt, '--secret-string', 'pg_host=db.internal%%not base64'])).code).toBe(0);
    const out = await start({}, ['--aws-kms-secret-name', corrupt]);
    expect(out).toContain(`aws_kms_secret_name (--aws-kms-secret-name): cannot use AWS Secrets Manager secret "${corrupt}": its value is not base64`);
  });
});
