import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { awsEnvironment } from '@keygate/config';
import { startAwsEmulator, type AwsEmulator } from '@keygate/tool-aws-emulator';
import { AwsCredentialsError, assumeRole, credentialChain, stsEndpoint } from '@keygate/aws';

jest.setTimeout(30_000);

const KEY = { accessKeyId: 'AKIAKEYGATEAWSLIB001', secretAccessKey: 'libs/aws/test/secret/0000000000000000000' };
const WEB_TOKEN = 'eyJhbGciOi.k8s-service-account.jwt';
const ROLE = 'arn:aws:iam::123456789012:role/gateway';

describe('credentialChain and assumeRole against the AWS emulator', () => {
  let emulator: AwsEmulator;
  let dir: string;
  // Shared files that do not exist keep the machine's ~/.aws out of these tests.
  let noFiles: Record<string, string>;

  beforeAll(async () => {
    emulator = await startAwsEmulator({ accessKeys: [KEY], region: 'eu-west-1', credentialLifetimeSeconds: 40, webIdentityTokens: [WEB_TOKEN], containerAuthorizationToken: 'ecs-agent-token' });
    dir = mkdtempSync(join(tmpdir(), 'keygate-aws-'));
    noFiles = { AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none-credentials'), AWS_CONFIG_FILE: join(dir, 'none-config'), AWS_EC2_METADATA_DISABLED: 'true' };
  });
  afterAll(() => emulator.stop());
  afterEach(() => emulator.clock.reset());

  async function whoAmI(credentials: AwsCredentialIdentityProvider): Promise<string> {
    const sts = new STSClient({ endpoint: emulator.url, region: emulator.region, credentials, maxAttempts: 1 });
    try {
      return (await sts.send(new GetCallerIdentityCommand({}))).Arn ?? '';
    } finally {
      sts.destroy();
    }
  }

  it('uses AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the environment first', async () => {
    const chain = credentialChain(awsEnvironment({ ...noFiles, AWS_ACCESS_KEY_ID: KEY.accessKeyId, AWS_SECRET_ACCESS_KEY: KEY.secretAccessKey, AWS_REGION: 'eu-west-1' }));
    expect(await whoAmI(chain)).toBe('arn:aws:iam::123456789012:user/keygate');
    expect(chain.describe()).toContain('environment');
  });

  it('refuses half-set environment keys, naming both variables', async () => {
    const chain = credentialChain(awsEnvironment({ ...noFiles, AWS_ACCESS_KEY_ID: KEY.accessKeyId }));
    await expect(chain()).rejects.toThrow('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together');
  });

  it('reads the profile named by AWS_PROFILE from the shared credentials file', async () => {
    const credentials = join(dir, 'credentials');
    writeFileSync(credentials, `[default]\naws_access_key_id = AKIAWRONGWRONGWRONG0\naws_secret_access_key = wrong\n\n[gateway]\naws_access_key_id = ${KEY.accessKeyId}\naws_secret_access_key = ${KEY.secretAccessKey}\n`);
    const chain = credentialChain(awsEnvironment({ ...noFiles, AWS_SHARED_CREDENTIALS_FILE: credentials, AWS_PROFILE: 'gateway' }));
    expect(await whoAmI(chain)).toContain(':user/');
    expect(chain.describe()).toBe('profile gateway');

    const missing = credentialChain(awsEnvironment({ ...noFiles, AWS_SHARED_CREDENTIALS_FILE: credentials, AWS_PROFILE: 'absent' }));
    await expect(missing()).rejects.toThrow(/profile absent/);
  });

  it('exchanges a web identity token file for role credentials (EKS)', async () => {
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, WEB_TOKEN);
    const env = awsEnvironment({ ...noFiles, AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile, AWS_ROLE_ARN: ROLE, AWS_ROLE_SESSION_NAME: 'pod-1', AWS_REGION: 'eu-west-1' });
    const chain = credentialChain(env, { stsEndpointUrl: emulator.url });
    expect(await whoAmI(chain)).toBe('arn:aws:sts::123456789012:assumed-role/gateway/pod-1');

    writeFileSync(tokenFile, 'not-a-token-the-cluster-issued');
    const refused = credentialChain(env, { stsEndpointUrl: emulator.url });
    await expect(refused()).rejects.toThrow(AwsCredentialsError);
  });

  it('reads ECS container credentials with the authorization token', async () => {
    const chain = credentialChain(
      awsEnvironment({ ...noFiles, AWS_CONTAINER_CREDENTIALS_FULL_URI: emulator.containerCredentialsUrl, AWS_CONTAINER_AUTHORIZATION_TOKEN: 'ecs-agent-token' }),
    );
    expect(await whoAmI(chain)).toContain(':assumed-role/keygate-task-role/');
    const wrong = credentialChain(awsEnvironment({ ...noFiles, AWS_CONTAINER_CREDENTIALS_FULL_URI: emulator.containerCredentialsUrl, AWS_CONTAINER_AUTHORIZATION_TOKEN: 'nope' }));
    await expect(wrong()).rejects.toThrow(/ECS container credentials/);
  });

  it('reads the instance profile over IMDSv2 and renews short-lived credentials before they expire', async () => {
    const now = () => emulator.clock.now().getTime();
    const env = awsEnvironment({ ...noFiles, AWS_EC2_METADATA_DISABLED: 'false', AWS_EC2_METADATA_SERVICE_ENDPOINT: emulator.imdsUrl });
    const chain = credentialChain(env, { now });
    const first = await chain();
    expect(first.expiration).toBeInstanceOf(Date);
    expect(await whoAmI(chain)).toContain(':assumed-role/keygate-instance-role/');
    expect((await chain()).accessKeyId).toBe(first.accessKeyId); // cached

    emulator.advanceClock(25); // past half the 40 s life: IMDS rolls, the chain refreshes
    const second = await chain();
    expect(second.accessKeyId).not.toBe(first.accessKeyId);
    expect(await whoAmI(chain)).toContain(':assumed-role/keygate-instance-role/');

    // IMDS down while the held set is still valid: keep using it.
    emulator.advanceClock(25);
    emulator.setImdsAvailable(false);
    try {
      expect((await chain()).accessKeyId).toBe(second.accessKeyId);
      emulator.advanceClock(30); // now expired and IMDS still down
      await expect(chain()).rejects.toThrow(/instance metadata service.*503/);
    } finally {
      emulator.setImdsAvailable(true);
    }
  });

  it('fails within bounded time when nothing answers, listing what it tried', async () => {
    const closed = 'http://127.0.0.1:9'; // discard port: nothing listens
    const chain = credentialChain(awsEnvironment({ ...noFiles, AWS_EC2_METADATA_DISABLED: 'false', AWS_EC2_METADATA_SERVICE_ENDPOINT: closed }), { maxRetries: 1 });
    const started = Date.now();
    await expect(chain()).rejects.toThrow(/EC2 instance metadata service at http:\/\/127.0.0.1:9/);
    expect(Date.now() - started).toBeLessThan(10_000);

    const none = credentialChain(awsEnvironment(noFiles));
    await expect(none()).rejects.toThrow(/^no AWS credentials found/);
  });

  it('assumes a role through a custom STS endpoint and caches the role credentials', async () => {
    const base = credentialChain(awsEnvironment({ ...noFiles, AWS_ACCESS_KEY_ID: KEY.accessKeyId, AWS_SECRET_ACCESS_KEY: KEY.secretAccessKey }));
    const role = assumeRole({ base, roleArn: ROLE, roleSessionName: 'KongVault', stsEndpointUrl: emulator.url, region: 'eu-west-1' });
    const first = await role();
    expect((await role()).accessKeyId).toBe(first.accessKeyId);
    expect(await whoAmI(role)).toBe('arn:aws:sts::123456789012:assumed-role/gateway/KongVault');
  });

  it('names the role, the base credentials and AWS error code when the base keys are wrong', async () => {
    const base = credentialChain(awsEnvironment({ ...noFiles, AWS_ACCESS_KEY_ID: KEY.accessKeyId, AWS_SECRET_ACCESS_KEY: 'wrong-secret' }));
    const role = assumeRole({ base, roleArn: ROLE, roleSessionName: 'KongVault', stsEndpointUrl: emulator.url, region: 'eu-west-1', maxRetries: 0 });
    const error = (await role().then(
      () => undefined,
      (err: unknown) => err,
    )) as Error;
    expect(error).toBeInstanceOf(AwsCredentialsError);
    expect(error.message).toContain(ROLE);
    expect(error.message).toContain('SignatureDoesNotMatch');
    expect(error.message).toContain(KEY.accessKeyId);
    expect(error.message).not.toContain('wrong-secret');
  });

  it('uses the regional STS endpoint unless AWS_STS_REGIONAL_ENDPOINTS=legacy', () => {
    expect(stsEndpoint('eu-west-1')).toBe('https://sts.eu-west-1.amazonaws.com');
    expect(stsEndpoint('eu-west-1', 'legacy')).toBe('https://sts.amazonaws.com');
    expect(stsEndpoint('cn-north-1', 'legacy')).toBe('https://sts.cn-north-1.amazonaws.com.cn');
    expect(awsEnvironment({ AWS_STS_REGIONAL_ENDPOINTS: 'legacy' }).stsRegionalEndpoints).toBe('legacy');
  });
});
