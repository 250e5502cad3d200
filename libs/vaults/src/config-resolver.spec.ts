import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError, displaySettings, loadConfig, type Env } from '@keygate/config';
import { startAwsEmulator, type AwsEmulator } from '@keygate/tool-aws-emulator';
import { startVaultDev, type VaultDev } from '@keygate/tool-vault-dev';
import { vaultReferences } from './config-resolver';

jest.setTimeout(30_000);

const KEY = { accessKeyId: 'AKIAKEYGATECONFIG001', secretAccessKey: 'libs/vaults/config/secret/0000000000000' };

describe('vaultReferences() with loadConfig', () => {
  let aws: AwsEmulator;
  let sm: SecretsManagerClient;
  let vault: VaultDev;
  let awsEnv: Env;
  let now: number;

  beforeAll(async () => {
    aws = await startAwsEmulator({ accessKeys: [KEY], region: 'us-east-1' });
    vault = await startVaultDev({ rootToken: 'vault-root-token' });
    vault.writeSecret('secret', 'kong', { cluster_secret: 'from-hcv' });
    sm = new SecretsManagerClient({ endpoint: aws.url, region: aws.region, credentials: KEY, maxAttempts: 1 });
    await sm.send(new CreateSecretCommand({ Name: 'kong-gateway-database', Description: 'Kong GW Database credentials' }));
    await sm.send(new PutSecretValueCommand({ SecretId: 'kong-gateway-database', SecretString: '{"pg_user":"kong","pg_password":"KongFTW"}' }));
    awsEnv = {
      AWS_ACCESS_KEY_ID: KEY.accessKeyId,
      AWS_SECRET_ACCESS_KEY: KEY.secretAccessKey,
      AWS_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      KONG_VAULT_AWS_ENDPOINT_URL: aws.url,
    };
  });
  afterAll(async () => {
    sm.destroy();
    await Promise.all([aws.stop(), vault.stop()]);
  });
  beforeEach(() => {
    now = Date.now();
  });

  const load = (env: Env) => loadConfig({ env, defaultPaths: [], resolve: vaultReferences({ now: () => now }) });
  const failure = async (env: Env) => {
    const error = await load(env).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  };

  it("resolves the seed's database credentials from AWS Secrets Manager before anything connects", async () => {
    const loaded = await load({
      ...awsEnv,
      KONG_PG_USER: '{vault://aws/kong-gateway-database/pg_user}',
      KONG_PG_PASSWORD: '{vault://aws/kong-gateway-database/pg_password}',
    });
    expect(loaded.config.pg_user).toBe('kong');
    expect(loaded.config.pg_password?.reveal()).toBe('KongFTW');
    // Shown as the reference, never the value.
    const shown = displaySettings(loaded).filter((s) => s.key === 'pg_user' || s.key === 'pg_password');
    expect(shown.map((s) => s.value)).toEqual(['{vault://aws/kong-gateway-database/pg_user}', '{vault://aws/kong-gateway-database/pg_password}']);
    expect(loaded.live('pg_password')).toBeUndefined(); // no ttl: never re-read
  });

  it('names the setting, the reference and the AWS cause when the secret key is wrong, without any secret', async () => {
    const error = await failure({ ...awsEnv, AWS_SECRET_ACCESS_KEY: 'wrong-secret-key', KONG_PG_USER: '{vault://aws/kong-gateway-database/pg_user}' });
    expect(error.message).toMatch(
      /^invalid configuration: pg_user \(env KONG_PG_USER\): cannot resolve \{vault:\/\/aws\/kong-gateway-database\/pg_user\}: unable to retrieve secret from aws secret manager \((InvalidSignatureException|UnrecognizedClientException)/,
    );
    expect(error.message).not.toMatch(/wrong-secret-key|KongFTW/);
  });

  it.each([
    ['{vault://env}', 'reference url is missing path'],
    ['{vault://env/absent-variable}', 'environment variable ABSENT_VARIABLE is not set'],
    ['{vault://nowhere/x}', 'could not find vault (nowhere): vault entities are not available here; use a backend name (env, aws, hcv)'],
    ['{vault://aws/kong-gateway-database/pg_user#7}', 'invalid version for aws secret manager'],
  ])('%s: %s', async (reference, cause) => {
    const error = await failure({ ...awsEnv, KONG_PG_PASSWORD: reference });
    expect(error.message).toBe(`invalid configuration: pg_password (env KONG_PG_PASSWORD): cannot resolve ${reference}: ${cause}`);
  });

  it('keeps a value with a TTL live: re-read after the TTL, the last good value while AWS is down', async () => {
    const loaded = await load({ ...awsEnv, KONG_PG_PASSWORD: '{vault://aws/kong-gateway-database/pg_password?ttl=5}' });
    const live = loaded.live('pg_password')!;
    expect(await live()).toBe('KongFTW');
    await sm.send(new PutSecretValueCommand({ SecretId: 'kong-gateway-database', SecretString: '{"pg_user":"kong","pg_password":"Rotated2"}' }));
    expect(await live()).toBe('KongFTW');
    now += 5_000;
    expect(await live()).toBe('Rotated2');
    aws.setAvailable(false);
    try {
      now += 10_000;
      expect(await live()).toBe('Rotated2');
    } finally {
      aws.setAvailable(true);
    }
  });

  it('resolves vault_* settings first, so a Vault token can itself come from the env vault', async () => {
    const loaded = await load({
      VAULT_TOKEN: 'vault-root-token',
      KONG_VAULT_HCV_PORT: String(vault.port),
      KONG_VAULT_HCV_KV: 'v2',
      KONG_VAULT_HCV_TOKEN: '{vault://env/vault-token}',
      KONG_KEYRING_CLUSTER_SECRET: '{vault://hcv/kong/cluster_secret}',
    });
    expect(loaded.config.keyring_cluster_secret?.reveal()).toBe('from-hcv');
  });

  it('loads only the backends the vaults setting names', async () => {
    const error = await failure({ ...awsEnv, KONG_VAULTS: 'env', KONG_PG_USER: '{vault://aws/kong-gateway-database/pg_user}' });
    expect(error.message).toContain('vault aws is not loaded (add it to the vaults setting; loaded: env)');
  });
});
