import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand, GetSessionTokenCommand, STSClient } from '@aws-sdk/client-sts';
import { fromTemporaryCredentials, fromWebToken } from '@aws-sdk/credential-providers';
import { clientConfig, TEST_KEY } from '../test/helpers';
import { startAwsEmulator, type AwsEmulator } from './index';

const ROLE = 'arn:aws:iam::123456789012:role/keygate-vault';
const WEB_ROLE = 'arn:aws:iam::123456789012:role/keygate-web';

describe('STS through the real SDK v3 client', () => {
  let emulator: AwsEmulator;
  let sts: STSClient;

  beforeAll(async () => {
    emulator = await startAwsEmulator({
      accessKeys: [TEST_KEY],
      credentialLifetimeSeconds: 60,
      roles: [ROLE, { arn: 'arn:aws:iam::123456789012:role/locked', allowedCallers: ['arn:aws:iam::123456789012:user/someone-else'] }],
      webIdentityTokens: [{ token: 'k8s-service-account-jwt', roleArn: WEB_ROLE, subject: 'system:serviceaccount:kong:gateway' }],
    });
    sts = new STSClient(clientConfig(emulator));
  });
  afterAll(async () => {
    sts.destroy();
    await emulator.stop();
  });

  async function identityOf(credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) {
    const client = new STSClient(clientConfig(emulator, credentials));
    try {
      return await client.send(new GetCallerIdentityCommand({}));
    } finally {
      client.destroy();
    }
  }

  it('assumes a role and the temporary credentials work for Secrets Manager and STS', async () => {
    const assumed = await sts.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'kong-vault' }));
    const c = assumed.Credentials!;
    expect(c.AccessKeyId).toMatch(/^ASIA/);
    // The configured lifetime (60 s) caps the default DurationSeconds (3600 s).
    expect(c.Expiration!.getTime() - Date.now()).toBeLessThanOrEqual(61_000);
    expect(assumed.AssumedRoleUser).toMatchObject({ Arn: 'arn:aws:sts::123456789012:assumed-role/keygate-vault/kong-vault' });

    const creds = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
    const identity = await identityOf(creds);
    expect(identity.Arn).toBe('arn:aws:sts::123456789012:assumed-role/keygate-vault/kong-vault');
    expect(identity.UserId).toMatch(/^AROA[A-Z2-7]+:kong-vault$/);

    const sm = new SecretsManagerClient(clientConfig(emulator, creds));
    await expect(sm.send(new ListSecretsCommand({}))).resolves.toBeDefined();
    sm.destroy();
  });

  it('works behind fromTemporaryCredentials', async () => {
    const provider = fromTemporaryCredentials({
      params: { RoleArn: ROLE, RoleSessionName: 'from-temporary' },
      masterCredentials: TEST_KEY,
      clientConfig: { endpoint: emulator.url, region: emulator.region },
    });
    const sm = new SecretsManagerClient({ endpoint: emulator.url, region: emulator.region, credentials: provider, maxAttempts: 1 });
    await expect(sm.send(new ListSecretsCommand({}))).resolves.toBeDefined();
    const creds = await provider();
    expect((await identityOf(creds)).Arn).toBe('arn:aws:sts::123456789012:assumed-role/keygate-vault/from-temporary');
    sm.destroy();
  });

  it('refuses roles it was not told about and callers a role does not trust', async () => {
    await expect(sts.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::123456789012:role/other', RoleSessionName: 's1' }))).rejects.toMatchObject({
      name: 'AccessDenied',
      message: 'User: arn:aws:iam::123456789012:user/keygate is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/other',
      $metadata: { httpStatusCode: 403 },
    });
    await expect(sts.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::123456789012:role/locked', RoleSessionName: 's1' }))).rejects.toMatchObject({
      name: 'AccessDenied',
    });
    await expect(sts.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 's1', DurationSeconds: 60 }))).rejects.toMatchObject({
      name: 'ValidationError',
      message: "1 validation error detected: Value '60' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
    });
  });

  it('exchanges an accepted web identity token for credentials without signing the request', async () => {
    const anonymous = new STSClient({ endpoint: emulator.url, region: emulator.region, maxAttempts: 1, credentials: { accessKeyId: '', secretAccessKey: '' } });
    const answer = await anonymous.send(
      new AssumeRoleWithWebIdentityCommand({ RoleArn: WEB_ROLE, RoleSessionName: 'pod', WebIdentityToken: 'k8s-service-account-jwt' }),
    );
    expect(answer.SubjectFromWebIdentityToken).toBe('system:serviceaccount:kong:gateway');
    expect((await identityOf({ accessKeyId: answer.Credentials!.AccessKeyId!, secretAccessKey: answer.Credentials!.SecretAccessKey!, sessionToken: answer.Credentials!.SessionToken! })).Arn).toBe(
      'arn:aws:sts::123456789012:assumed-role/keygate-web/pod',
    );
    await expect(anonymous.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: WEB_ROLE, RoleSessionName: 'pod', WebIdentityToken: 'forged' }))).rejects.toMatchObject({
      name: 'InvalidIdentityTokenException',
    });
    await expect(anonymous.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: ROLE, RoleSessionName: 'pod', WebIdentityToken: 'k8s-service-account-jwt' }))).rejects.toMatchObject({
      name: 'AccessDenied',
    });
    anonymous.destroy();

    const provider = fromWebToken({ roleArn: WEB_ROLE, webIdentityToken: 'k8s-service-account-jwt', roleSessionName: 'web', clientConfig: { endpoint: emulator.url, region: emulator.region } });
    expect((await identityOf(await provider())).Arn).toBe('arn:aws:sts::123456789012:assumed-role/keygate-web/web');
  });

  it('issues session tokens to long-term keys only', async () => {
    const session = await sts.send(new GetSessionTokenCommand({}));
    const creds = { accessKeyId: session.Credentials!.AccessKeyId!, secretAccessKey: session.Credentials!.SecretAccessKey!, sessionToken: session.Credentials!.SessionToken! };
    expect((await identityOf(creds)).Arn).toBe('arn:aws:iam::123456789012:user/keygate');
    const client = new STSClient(clientConfig(emulator, creds));
    await expect(client.send(new GetSessionTokenCommand({}))).rejects.toMatchObject({ name: 'AccessDenied' });
    client.destroy();
  });
});
