import { randomBytes, randomUUID } from 'node:crypto';
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Queue } from 'bullmq';
import { Bus } from '@keygate/bus';
import { createMembership, Secret } from '@keygate/crypto';
import { silentLogger } from '@keygate/logging';
import { AppProcess, awsVaultEnv, httpClient, plantedSecret, redisPrefix, testServices, useTestDatabase, vaultResolverUrl } from '@keygate/testing';
import { startAwsEmulator, type AwsEmulator } from '@keygate/tool-aws-emulator';
import { startVaultDev, type VaultDev } from '@keygate/tool-vault-dev';
import { QUEUES } from '@keygate/queue';
import { memberSigner, signRequest, VaultResolverClient, type RequestSigner, type VaultChange } from '@keygate/vaults/client';
import { schedulerId } from '@keygate/vaults/service';

const database = useTestDatabase();
jest.setTimeout(120_000);

const KEY = { accessKeyId: 'AKIAKEYGATERESOLVER1', secretAccessKey: plantedSecret('aws-key') };
const DB_PASSWORD = plantedSecret('db-password');
const HCV_TOKEN = plantedSecret('hcv-token');

/** The vault-resolver's internal API address, from its log. */
const apiUrl = vaultResolverUrl;

describe('vault-resolver node', () => {
  let aws: AwsEmulator;
  let vault: VaultDev;
  let sm: SecretsManagerClient;
  let env: Record<string, string>;
  const nodes: AppProcess[] = [];
  const secret = randomBytes(24).toString('base64url');
  const prefix = redisPrefix();

  beforeAll(async () => {
    aws = await startAwsEmulator({ accessKeys: [KEY], region: 'eu-west-1' });
    vault = await startVaultDev({ rootToken: HCV_TOKEN });
    vault.writeSecret('secret', 'kong/db', { pg_password: DB_PASSWORD });
    sm = new SecretsManagerClient({ endpoint: aws.url, region: aws.region, credentials: KEY, maxAttempts: 1 });
    await sm.send(new CreateSecretCommand({ Name: 'gateway', SecretString: JSON.stringify({ api_key: 'first' }) }));
    env = {
      ...database.get().env(),
      KONG_KEYRING_ENABLED: 'on',
      KONG_KEYRING_CLUSTER_SECRET: secret,
      KONG_REDIS_PREFIX: prefix,
      KONG_VAULT_RESOLVER_LISTEN: '127.0.0.1:0',
      ...awsVaultEnv(aws, KEY),
    };
    nodes.push(await AppProcess.start('admin', { env }));
    nodes.push(await AppProcess.start('vault-resolver', { env }));
  });
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    sm.destroy();
    await Promise.all([aws.stop(), vault.stop()]);
  });

  /** Ten admitted members of this cluster, and one admitted by another cluster's secret. */
  let signers: RequestSigner[] = [];
  let outsider: RequestSigner;
  beforeAll(async () => {
    signers = await Promise.all(Array.from({ length: 10 }, async () => memberSigner(await createMembership(randomUUID(), 'proxy', new Secret(secret), 1024))!));
    outsider = memberSigner(await createMembership(randomUUID(), 'proxy', new Secret('not-the-secret'), 1024))!;
  });
  const client = (overrides: { signer?: RequestSigner; url?: string } = {}) =>
    new VaultResolverClient({ url: overrides.url ?? apiUrl(nodes[1]!), signer: overrides.signer ?? signers[0], logger: silentLogger() });

  it('answers only requests signed by an admitted member', async () => {
    const url = `${apiUrl(nodes[1]!)}/v1/resolve`;
    const body = JSON.stringify({ references: ['{vault://aws/gateway/api_key}'] });
    expect((await fetch(url, { method: 'POST', body })).status).toBe(401);
    const forged = signRequest(outsider, { method: 'POST', path: '/v1/resolve', body });
    expect((await fetch(url, { method: 'POST', body, headers: forged })).status).toBe(401);
    const stale = signRequest(signers[0]!, { method: 'POST', path: '/v1/resolve', body, now: Date.now() - 120_000 });
    expect((await fetch(url, { method: 'POST', body, headers: stale })).status).toBe(401);
    const signed = signRequest(signers[0]!, { method: 'POST', path: '/v1/resolve', body });
    const ok = await fetch(url, { method: 'POST', body, headers: signed });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ results: { '{vault://aws/gateway/api_key}': { value: 'first', stale: false, expires_at: null } } });
    await expect(client({ signer: outsider }).resolve('{vault://aws/gateway/api_key}')).rejects.toThrow('answered 401');
  });

  it('serves ten nodes with one backend call, and shows counters and errors (never values) in its status', async () => {
    const clients = Array.from({ length: 10 }, (_, i) => client({ signer: signers[i] }));
    const before = (await httpClient(nodes[1]!.url('status')).get<{ vaults: { backend_calls: number } }>('/status')).json.vaults.backend_calls;
    const values = await Promise.all(clients.map((c) => c.resolve('{vault://aws/gateway/api_key?ttl=300}')));
    expect(values.map((v) => v.reveal())).toEqual(Array(10).fill('first'));
    await expect(client().resolve('{vault://aws/absent/key}')).rejects.toThrow(/no secret absent/);
    const status = await httpClient(nodes[1]!.url('status')).get<{ vaults: { backend_calls: number; hits: number; last_errors: Array<{ references: string[]; message: string }> } }>('/status');
    expect(status.json.vaults.backend_calls - before).toBe(2); // the shared secret once, the missing one once
    expect(status.json.vaults.last_errors).toEqual([expect.objectContaining({ references: ['{vault://aws/absent/key}'] })]);
    expect(status.text).not.toContain('first');
  });

  it('resolves through a /vaults entity whose token is stored encrypted by the keyring', async () => {
    const admin = httpClient(nodes[0]!.url('admin'));
    const created = await admin.post('/vaults', { json: { name: 'hcv', prefix: 'team-hcv', config: { host: '127.0.0.1', port: vault.port, kv: 'v2', token: HCV_TOKEN } } });
    expect(created.status).toBe(201);
    expect((created.json.config as { token: string }).token).toBe(HCV_TOKEN);
    const rows = await database.get().query<{ config: { token: string } }>("SELECT config FROM vaults WHERE prefix = 'team-hcv'");
    expect(rows[0]!.config.token).toMatch(/^\$ke\$2\$/);
    expect((await client().resolve('{vault://team-hcv/kong/db/pg_password}')).reveal()).toBe(DB_PASSWORD);

    // Forged change events (anyone who can connect can NOTIFY) change nothing: the table did not
    // change, so what was resolved stays cached and the backend is not called again.
    const backendCalls = async () => (await httpClient(nodes[1]!.url('status')).get<{ vaults: { backend_calls: number } }>('/status')).json.vaults.backend_calls;
    const attacker = await database.get().attacker();
    const vaultId = (await database.get().query<{ id: string }>("SELECT id FROM vaults WHERE prefix = 'team-hcv'"))[0]!.id;
    const calls = await backendCalls();
    for (let i = 0; i < 20; i++) await attacker.query('SELECT pg_notify($1, $2)', ['keygate_entity_changes', JSON.stringify({ entity: 'vaults', op: 'update', id: vaultId })]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await client().resolve('{vault://team-hcv/kong/db/pg_password}')).reveal()).toBe(DB_PASSWORD);
    expect(await backendCalls()).toBe(calls);

    // Changing the entity: the resolver forgets it, and nodes are told to re-read.
    const bus = new Bus({ connect: () => database.get().db().then((db) => db.newClient()), db: await database.get().db(), logger: silentLogger() });
    const watcher = client();
    watcher.attach(bus);
    await bus.start();
    const changes: VaultChange[] = [];
    watcher.onChange((change) => changes.push(change));
    try {
      expect((await admin.request('PATCH', '/vaults/team-hcv', { json: { config: { token: 'revoked-token' } } })).status).toBe(200);
      await waitFor(() => changes.some((c) => 'references' in c && c.references.includes('{vault://team-hcv/kong/db/pg_password}')));
      await expect(watcher.resolve('{vault://team-hcv/kong/db/pg_password}')).rejects.toThrow('permission denied');
    } finally {
      await bus.stop();
    }
  });

  it('refreshes references with a TTL as one BullMQ schedule across replicas, and announces new values', async () => {
    nodes.push(await AppProcess.start('vault-resolver', { env }));
    const reference = '{vault://aws/gateway/api_key?ttl=1}';
    const [a, b] = [client(), client({ url: apiUrl(nodes[2]!) })];
    const bus = new Bus({ connect: () => database.get().db().then((db) => db.newClient()), db: await database.get().db(), logger: silentLogger() });
    a.attach(bus);
    await bus.start();
    const changes: VaultChange[] = [];
    a.onChange((change) => changes.push(change));
    const queue = new Queue(QUEUES.secretRefresh, { connection: { url: testServices().redisUrl }, prefix });
    try {
      expect((await a.resolve(reference)).reveal()).toBe('first');
      expect((await b.resolve(reference)).reveal()).toBe('first');
      // Both replicas scheduled it: still one schedule (this reference and the ttl=300 one above).
      await waitFor(async () => (await queue.getJobSchedulers()).some((s) => s.key === schedulerId(reference)));
      expect((await queue.getJobSchedulers()).map((s) => s.key).sort()).toEqual([schedulerId(reference), schedulerId('{vault://aws/gateway/api_key?ttl=300}')].sort());

      await sm.send(new PutSecretValueCommand({ SecretId: 'gateway', SecretString: JSON.stringify({ api_key: 'second' }) }));
      await waitFor(() => changes.some((c) => 'references' in c && c.references.includes(reference)), 15_000);
      expect((await a.resolve(reference)).reveal()).toBe('second');

      // One schedule, however many replicas: over ~4 s each reference is refreshed ~4 times, not ~8.
      const refreshed = async () => {
        let total = 0;
        for (const node of nodes.slice(1)) total += (await httpClient(node.url('status')).get<{ vaults: { jobs: { refreshed: number } } }>('/status')).json.vaults.jobs.refreshed;
        return total;
      };
      const start = await refreshed();
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      expect((await refreshed()) - start).toBeLessThanOrEqual(6);
    } finally {
      await queue.close();
      await bus.stop();
    }
  });
});

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
