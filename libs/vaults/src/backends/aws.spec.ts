import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { awsEnvironment } from '@keygate/config';
import { awsVault } from '@keygate/entities';
import { memoryLogger } from '@keygate/logging';
import { startAwsEmulator, type AwsEmulator } from '@keygate/tool-aws-emulator';
import { VaultError } from '../errors';
import { awsBackend } from './aws';
import type { BackendContext } from './backend';

jest.setTimeout(30_000);

const KEY = { accessKeyId: 'AKIAKEYGATEVAULTS001', secretAccessKey: 'libs/vaults/aws/secret/00000000000000000' };

describe('aws backend (Secrets Manager) against the AWS emulator', () => {
  let emulator: AwsEmulator;
  let sm: SecretsManagerClient;
  let log: ReturnType<typeof memoryLogger>;

  beforeAll(async () => {
    emulator = await startAwsEmulator({ accessKeys: [KEY], region: 'eu-west-1' });
    sm = new SecretsManagerClient({ endpoint: emulator.url, region: emulator.region, credentials: KEY, maxAttempts: 1 });
    await sm.send(new CreateSecretCommand({ Name: 'kong-gateway-database', Description: 'Kong GW Database credentials' }));
    await sm.send(new PutSecretValueCommand({ SecretId: 'kong-gateway-database', SecretString: '{"pg_user":"kong","pg_password":"KongFTW"}' }));
    await sm.send(new PutSecretValueCommand({ SecretId: 'kong-gateway-database', SecretString: '{"pg_user":"kong","pg_password":"Rotated1"}' }));
    await sm.send(new CreateSecretCommand({ Name: 'plain', SecretString: 'just-text' }));
    await sm.send(new CreateSecretCommand({ Name: 'binary', SecretBinary: new TextEncoder().encode('-----BEGIN CERTIFICATE-----') }));
  });
  afterAll(async () => {
    sm.destroy();
    await emulator.stop();
  });
  beforeEach(() => {
    log = memoryLogger();
  });

  const context = (env: Record<string, string>): BackendContext => ({ env: {}, aws: awsEnvironment({ AWS_EC2_METADATA_DISABLED: 'true', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_CONFIG_FILE: '/nonexistent', ...env }), logger: log.logger, timeoutMs: 2000 });
  const keys = { AWS_ACCESS_KEY_ID: KEY.accessKeyId, AWS_SECRET_ACCESS_KEY: KEY.secretAccessKey, AWS_REGION: 'eu-west-1' };
  const config = (extra: Record<string, unknown> = {}) => awsVault.config.parse({ endpoint_url: emulator.url, ...extra });

  it('reads SecretString (JSON or plain), #1 = AWSCURRENT, #2 = AWSPREVIOUS, and SecretBinary as text', async () => {
    const reader = awsBackend.connect(config(), context(keys));
    expect(JSON.parse(await reader.read('kong-gateway-database', undefined))).toEqual({ pg_user: 'kong', pg_password: 'Rotated1' });
    expect(JSON.parse(await reader.read('kong-gateway-database', 1)).pg_password).toBe('Rotated1');
    expect(JSON.parse(await reader.read('kong-gateway-database', 2)).pg_password).toBe('KongFTW');
    expect(await reader.read('plain', undefined)).toBe('just-text');
    expect(await reader.read('binary', undefined)).toBe('-----BEGIN CERTIFICATE-----');
    await expect(reader.read('kong-gateway-database', 3)).rejects.toThrow('invalid version for aws secret manager');
    await expect(reader.read('absent', undefined)).rejects.toMatchObject({ code: 'VAULT_SECRET_NOT_FOUND' });
    reader.close?.();
  });

  it('fails with AWS error code and no secret when the secret key is wrong', async () => {
    const reader = awsBackend.connect(config(), context({ ...keys, AWS_SECRET_ACCESS_KEY: 'not-the-right-secret' }));
    const error = (await reader.read('kong-gateway-database', undefined).then(
      () => undefined,
      (err: unknown) => err,
    )) as VaultError;
    expect(error).toBeInstanceOf(VaultError);
    expect(error.message).toMatch(/unable to retrieve secret from aws secret manager \((InvalidSignatureException|UnrecognizedClientException)/);
    expect(error.message).not.toContain('not-the-right-secret');
  });

  it('assumes assume_role_arn through sts_endpoint_url with role_session_name', async () => {
    const reader = awsBackend.connect(config({ assume_role_arn: 'arn:aws:iam::123456789012:role/vault-reader', sts_endpoint_url: emulator.url }), context(keys));
    expect(await reader.read('plain', undefined)).toBe('just-text');
  });

  it('needs a region, from the config or AWS_REGION', async () => {
    const { AWS_REGION: _, ...noRegion } = keys;
    await expect(awsBackend.connect(config(), context(noRegion)).read('plain', undefined)).rejects.toThrow('aws secret manager requires region');
    expect(await awsBackend.connect(config({ region: 'eu-west-1' }), context(noRegion)).read('plain', undefined)).toBe('just-text');
  });

  it('reports an unreachable endpoint within its timeout', async () => {
    emulator.setAvailable(false);
    try {
      await expect(awsBackend.connect(config(), context(keys)).read('plain', undefined)).rejects.toThrow(/ServiceUnavailable/);
    } finally {
      emulator.setAvailable(true);
    }
  });
});
