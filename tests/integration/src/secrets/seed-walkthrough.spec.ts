import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AppProcess, plantedSecret, runCli, testServices } from '@keygate/testing';
import { startAwsEmulator, type AwsEmulator } from '@keygate/tool-aws-emulator';
import { PasswordFront } from './password-front';

jest.setTimeout(120_000);

const KEY = { accessKeyId: 'AKIAKEYGATESEED00001', secretAccessKey: plantedSecret('aws-secret-key') };
const USER_REF = '{vault://aws/kong-gateway-database/pg_user}';
const PASSWORD_REF = '{vault://aws/kong-gateway-database/pg_password}';

async function superuser(sql: string, database = 'postgres'): Promise<pg.QueryResult> {
  const client = new pg.Client({ ...testServices().pg, database });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Seeds 000/004 ("database credentials from AWS Secrets Manager through vault references"), done
 * against the AWS emulator: the secret is created and filled as the seed's aws CLI commands do,
 * then `keygate migrations bootstrap` (which Kong cannot do with references) and the admin node
 * run with KONG_PG_USER / KONG_PG_PASSWORD as references and AWS credentials in the environment.
 */
describe('database credentials from AWS Secrets Manager (seeds 000/004)', () => {
  const suffix = randomBytes(4).toString('hex');
  const role = `kg_seed_${suffix}`;
  const database = `kg_seed_db_${suffix}`;
  const password = plantedSecret('pg-password');
  const rotated = plantedSecret('pg-password-rotated');
  let aws: AwsEmulator;
  let sm: SecretsManagerClient;
  let front: PasswordFront;
  let env: Record<string, string>;

  beforeAll(async () => {
    aws = await startAwsEmulator({ accessKeys: [KEY], region: 'us-east-1' });
    sm = new SecretsManagerClient({ endpoint: aws.url, region: aws.region, credentials: KEY, maxAttempts: 1 });
    await sm.send(new CreateSecretCommand({ Name: 'kong-gateway-database', Description: 'Kong GW Database credentials' }));
    await sm.send(new PutSecretValueCommand({ SecretId: 'kong-gateway-database', SecretString: JSON.stringify({ pg_user: role, pg_password: password }) }));
    await superuser(`CREATE USER ${role}`);
    await superuser(`CREATE DATABASE ${database} OWNER ${role}`);
    front = new PasswordFront({ host: testServices().pg.host, port: testServices().pg.port }, password);
    await front.start();
    env = {
      KONG_DATABASE: 'postgres',
      KONG_PG_HOST: '127.0.0.1',
      KONG_PG_PORT: String(front.port),
      KONG_PG_DATABASE: database,
      KONG_PG_USER: USER_REF,
      KONG_PG_PASSWORD: PASSWORD_REF,
      AWS_ACCESS_KEY_ID: KEY.accessKeyId,
      AWS_SECRET_ACCESS_KEY: KEY.secretAccessKey,
      AWS_REGION: 'us-east-1',
      KONG_VAULT_AWS_ENDPOINT_URL: aws.url,
    };
  });
  afterAll(async () => {
    sm.destroy();
    await front.stop();
    await aws.stop();
    await superuser(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await superuser(`DROP ROLE IF EXISTS ${role}`);
  });

  it('bootstraps with references, then the admin node connects as the secret user', async () => {
    const bootstrap = await runCli(['migrations', 'bootstrap'], { env });
    expect(bootstrap.stderr).not.toContain('Error');
    expect(bootstrap.code).toBe(0);
    expect(bootstrap.stdout).toContain('Database is up-to-date');
    expect(front.attempts.every((a) => a.user === role && a.accepted)).toBe(true);

    const admin = await AppProcess.start('admin', { env });
    try {
      const res = await fetch(admin.url('admin'));
      expect(res.status).toBe(200);
      const text = await res.text();
      const root = JSON.parse(text) as { configuration: Record<string, unknown> };
      expect(root.configuration.pg_user).toBe(USER_REF);
      expect(root.configuration.pg_password).toBe(PASSWORD_REF);
      expect(text).not.toContain(password);
      const sessions = await superuser(`SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = '${database}'`);
      expect(sessions.rows.map((r: { usename: string }) => r.usename)).toContain(role);
      expect(admin.output).not.toContain(password);
      // Even the user name, read from the vault, is masked in the log.
      expect(admin.output).toContain('as [REDACTED]');
      expect(admin.output).not.toContain(role);
    } finally {
      await admin.stop();
    }
  });

  it('stops with the setting, the reference and the AWS cause when the secret key is wrong; no secret is printed', async () => {
    const wrong = { ...env, AWS_SECRET_ACCESS_KEY: plantedSecret('wrong-aws-key') };
    const result = await runCli(['migrations', 'bootstrap'], { env: wrong });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /pg_user \(env KONG_PG_USER\): cannot resolve \{vault:\/\/aws\/kong-gateway-database\/pg_user\}: unable to retrieve secret from aws secret manager \((InvalidSignatureException|UnrecognizedClientException)/,
    );
    expect(result.stderr + result.stdout).not.toContain(wrong.AWS_SECRET_ACCESS_KEY);

    const admin = await AppProcess.start('admin', { env: wrong, waitReady: false });
    const exit = await admin.exited;
    expect(exit.code).toBe(1);
    expect(admin.output).toContain('pg_password (env KONG_PG_PASSWORD): cannot resolve {vault://aws/kong-gateway-database/pg_password}');
    expect(admin.output).not.toContain(wrong.AWS_SECRET_ACCESS_KEY);
  });

  it('rotates: with ttl=5 new connections use the new password within ~6 s, old ones drain; AWS down keeps the last value', async () => {
    const ttlEnv = { ...env, KONG_PG_PASSWORD: `{vault://aws/kong-gateway-database/pg_password?ttl=5}`, KONG_PG_POOL_SIZE: '2' };
    const admin = await AppProcess.start('admin', { env: ttlEnv });
    const consumers = async () => (await fetch(`${admin.url('admin')}/consumers`)).status;
    /** Cuts every connection and waits until the admin node answers from the database again. */
    const reconnect = async () => {
      front.dropAll();
      const deadline = Date.now() + 15_000;
      while ((await consumers()) !== 200) {
        if (Date.now() > deadline) throw new Error(`admin did not reconnect; attempts: ${JSON.stringify(front.attempts.slice(-3).map((a) => a.accepted))}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    };
    try {
      expect(await consumers()).toBe(200);
      // Rotate: the database and the secret get the new password.
      front.expected = rotated;
      await sm.send(new PutSecretValueCommand({ SecretId: 'kong-gateway-database', SecretString: JSON.stringify({ pg_user: role, pg_password: rotated }) }));
      const rotatedAt = Date.now();
      // Established connections keep working (drain) while the old value is still fresh.
      expect(await consumers()).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, rotatedAt + 5_500 - Date.now())));
      const before = front.attempts.length;
      await reconnect();
      const after = front.attempts.slice(before);
      expect(after.length).toBeGreaterThan(0);
      expect(after.every((a) => a.accepted && a.password === rotated)).toBe(true);
      expect(Date.now() - rotatedAt).toBeLessThan(20_000);

      // Secrets Manager down: past the TTL, new connections still get the last good value.
      aws.setAvailable(false);
      await new Promise((resolve) => setTimeout(resolve, 5_500));
      const downFrom = front.attempts.length;
      await reconnect();
      expect(front.attempts.slice(downFrom).every((a) => a.accepted)).toBe(true);
      expect(admin.output).toContain('serving the last good value');
      expect(admin.output).not.toContain(rotated);
    } finally {
      aws.setAvailable(true);
      await admin.stop();
    }
  });
});
