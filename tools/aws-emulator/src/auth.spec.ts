import { GetSecretValueCommand, ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { clientConfig, TEST_KEY } from '../test/helpers';
import { startAwsEmulator, type AwsEmulator } from './index';

const BAD_SIGNATURE =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

describe('SigV4 verification of API calls', () => {
  let emulator: AwsEmulator;

  beforeAll(async () => {
    emulator = await startAwsEmulator({ accessKeys: [TEST_KEY], credentialLifetimeSeconds: 5 });
  });
  afterAll(() => emulator.stop());

  async function listWith(credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, maxAttempts = 1) {
    const client = new SecretsManagerClient({ ...clientConfig(emulator, credentials), maxAttempts });
    try {
      return await client.send(new ListSecretsCommand({}));
    } finally {
      client.destroy();
    }
  }

  async function callerWith(credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) {
    const client = new STSClient(clientConfig(emulator, credentials));
    try {
      return await client.send(new GetCallerIdentityCommand({}));
    } finally {
      client.destroy();
    }
  }

  it('accepts the configured key', async () => {
    await expect(listWith(TEST_KEY)).resolves.toMatchObject({ SecretList: [] });
    await expect(callerWith(TEST_KEY)).resolves.toMatchObject({ Arn: 'arn:aws:iam::123456789012:user/keygate', Account: '123456789012' });
  });

  it('answers a wrong secret key with InvalidSignatureException (Secrets Manager) and SignatureDoesNotMatch (STS)', async () => {
    const wrong = { ...TEST_KEY, secretAccessKey: 'not-the-secret' };
    await expect(listWith(wrong)).rejects.toMatchObject({ name: 'InvalidSignatureException', message: BAD_SIGNATURE, $metadata: { httpStatusCode: 400 } });
    await expect(callerWith(wrong)).rejects.toMatchObject({ name: 'SignatureDoesNotMatch', message: BAD_SIGNATURE, $metadata: { httpStatusCode: 403 } });
  });

  it('answers an unknown key with UnrecognizedClientException (Secrets Manager) and InvalidClientTokenId (STS)', async () => {
    const unknown = { accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'whatever' };
    const message = 'The security token included in the request is invalid.';
    await expect(listWith(unknown)).rejects.toMatchObject({ name: 'UnrecognizedClientException', message });
    await expect(callerWith(unknown)).rejects.toMatchObject({ name: 'InvalidClientTokenId', message });
  });

  it('accepts temporary credentials only with their session token and refuses them once expired', async () => {
    const temporary = emulator.issueTemporaryCredentials();
    expect(temporary.accessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    const creds = { accessKeyId: temporary.accessKeyId, secretAccessKey: temporary.secretAccessKey, sessionToken: temporary.sessionToken };
    await expect(listWith(creds)).resolves.toBeDefined();
    await expect(listWith({ ...creds, sessionToken: undefined })).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
    await expect(listWith({ ...creds, sessionToken: `${temporary.sessionToken}x` })).rejects.toMatchObject({ name: 'UnrecognizedClientException' });

    emulator.advanceClock(6);
    try {
      const expired = 'The security token included in the request is expired';
      await expect(listWith(creds)).rejects.toMatchObject({ name: 'ExpiredTokenException', message: expired });
      await expect(callerWith(creds)).rejects.toMatchObject({ name: 'ExpiredToken', message: expired });
    } finally {
      emulator.advanceClock(-6);
    }
  });

  it('refuses a request signed more than 15 minutes off and lets the SDK correct its clock from the Date header', async () => {
    emulator.advanceClock(20 * 60);
    try {
      await expect(listWith(TEST_KEY)).rejects.toMatchObject({ name: 'InvalidSignatureException', message: expect.stringMatching(/^Signature expired: \d{8}T\d{6}Z is now earlier than/) });
      // With retries the SDK reads the server's Date header, shifts its clock and signs again.
      await expect(listWith(TEST_KEY, 3)).resolves.toBeDefined();
    } finally {
      emulator.advanceClock(-20 * 60);
    }
  });

  it('refuses credentials scoped to another region or service', async () => {
    const client = new SecretsManagerClient({ ...clientConfig(emulator), region: 'eu-central-1' });
    try {
      await expect(client.send(new GetSecretValueCommand({ SecretId: 'x' }))).rejects.toMatchObject({
        name: 'InvalidSignatureException',
        message: "Credential should be scoped to a valid region, not 'eu-central-1'. ",
      });
    } finally {
      client.destroy();
    }
  });

  it('answers an unsigned call with MissingAuthenticationTokenException', async () => {
    const response = await fetch(emulator.url, {
      method: 'POST',
      headers: { 'X-Amz-Target': 'secretsmanager.ListSecrets', 'Content-Type': 'application/x-amz-json-1.1' },
      body: '{}',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
  });
});
