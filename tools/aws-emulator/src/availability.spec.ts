import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { clientConfig, TEST_KEY } from '../test/helpers';
import { startAwsEmulator, type AwsEmulator } from './index';

describe('setAvailable: a backend that goes down and comes back', () => {
  let emulator: AwsEmulator;
  let sm: SecretsManagerClient;
  let sts: STSClient;

  beforeAll(async () => {
    emulator = await startAwsEmulator({ accessKeys: [TEST_KEY] });
    sm = new SecretsManagerClient(clientConfig(emulator));
    sts = new STSClient(clientConfig(emulator));
    await emulator.secrets.create({ name: 'kept', value: { string: 'v1' } });
  });
  afterEach(() => {
    emulator.setAvailable(true);
    emulator.setImdsAvailable(true);
  });
  afterAll(async () => {
    sm.destroy();
    sts.destroy();
    await emulator.stop();
  });

  it('answers 503 while down and serves the same data once back up', async () => {
    emulator.setAvailable(false);
    await expect(sm.send(new GetSecretValueCommand({ SecretId: 'kept' }))).rejects.toMatchObject({
      name: 'ServiceUnavailableException',
      $metadata: { httpStatusCode: 503 },
    });
    await expect(sts.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } });
    emulator.setAvailable(true);
    await expect(sm.send(new GetSecretValueCommand({ SecretId: 'kept' }))).resolves.toMatchObject({ SecretString: 'v1' });
  });

  it('drops connections in reset mode', async () => {
    emulator.setAvailable(false, { mode: 'reset' });
    await expect(sm.send(new GetSecretValueCommand({ SecretId: 'kept' }))).rejects.toThrow(/socket hang up|ECONNRESET|EPIPE/);
    emulator.setAvailable(true);
    await expect(sm.send(new GetSecretValueCommand({ SecretId: 'kept' }))).resolves.toMatchObject({ SecretString: 'v1' });
  });

  it('takes the metadata endpoint down separately', async () => {
    emulator.setImdsAvailable(false);
    expect((await fetch(`${emulator.imdsUrl}/latest/api/token`, { method: 'PUT', headers: { 'X-aws-ec2-metadata-token-ttl-seconds': '60' } })).status).toBe(503);
    await expect(sm.send(new GetSecretValueCommand({ SecretId: 'kept' }))).resolves.toBeDefined();
  });

  it('stops cleanly twice', async () => {
    const other = await startAwsEmulator();
    await other.stop();
    await other.stop();
    await expect(fetch(other.url)).rejects.toThrow();
  });
});
