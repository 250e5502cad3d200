import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { fromHttp } from '@aws-sdk/credential-providers';
import { clientConfig, CredentialsChild, TEST_KEY } from '../test/helpers';
import { startAwsEmulator, type AwsEmulator } from './index';

jest.setTimeout(20_000);

describe('EC2 IMDSv2 and the ECS container credentials endpoint', () => {
  let emulator: AwsEmulator;

  beforeAll(async () => {
    emulator = await startAwsEmulator({
      accessKeys: [TEST_KEY],
      region: 'eu-west-1',
      credentialLifetimeSeconds: 60,
      instanceRoleName: 'gateway-node',
      containerAuthorizationToken: 'ecs-agent-secret',
    });
  });
  afterAll(() => emulator.stop());

  async function token(ttl = '300'): Promise<string> {
    const response = await fetch(`${emulator.imdsUrl}/latest/api/token`, { method: 'PUT', headers: { 'X-aws-ec2-metadata-token-ttl-seconds': ttl } });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-aws-ec2-metadata-token-ttl-seconds')).toBe(ttl);
    return response.text();
  }

  async function get(path: string, sessionToken?: string): Promise<Response> {
    return fetch(`${emulator.imdsUrl}${path}`, { headers: sessionToken ? { 'X-aws-ec2-metadata-token': sessionToken } : {} });
  }

  async function listSecretsWith(c: { AccessKeyId: string; SecretAccessKey: string; Token: string }) {
    const sm = new SecretsManagerClient(clientConfig(emulator, { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.Token }));
    try {
      return await sm.send(new ListSecretsCommand({}));
    } finally {
      sm.destroy();
    }
  }

  it('needs a session token from PUT /latest/api/token for every metadata read', async () => {
    expect((await get('/latest/meta-data/placement/region')).status).toBe(401);
    expect((await get('/latest/meta-data/placement/region', 'made-up')).status).toBe(401);
    expect((await fetch(`${emulator.imdsUrl}/latest/api/token`, { method: 'PUT' })).status).toBe(400);
    const session = await token();
    expect(await (await get('/latest/meta-data/placement/region', session)).text()).toBe('eu-west-1');
    const document = (await (await get('/latest/dynamic/instance-identity/document', session)).json()) as Record<string, string>;
    expect(document).toMatchObject({ region: 'eu-west-1', accountId: '123456789012', availabilityZone: 'eu-west-1a' });

    emulator.advanceClock(301);
    try {
      expect((await get('/latest/meta-data/placement/region', session)).status).toBe(401);
    } finally {
      emulator.advanceClock(-301);
    }
  });

  it('serves rolling instance credentials: a new set near expiry, the old one valid until its own expiry', async () => {
    const session = await token();
    expect(await (await get('/latest/meta-data/iam/security-credentials/', session)).text()).toBe('gateway-node');
    const read = async () => (await (await get('/latest/meta-data/iam/security-credentials/gateway-node', session)).json()) as Record<string, string>;
    const first = await read();
    expect(first).toMatchObject({ Code: 'Success', Type: 'AWS-HMAC', AccessKeyId: expect.stringMatching(/^ASIA/) });
    expect(new Date(first['Expiration']!).getTime() - new Date(first['LastUpdated']!).getTime()).toBe(60_000);
    expect((await read()).AccessKeyId).toBe(first['AccessKeyId']);
    await expect(listSecretsWith(first as never)).resolves.toBeDefined();

    emulator.advanceClock(31); // past half of the 60 s lifetime
    try {
      const second = await read();
      expect(second['AccessKeyId']).not.toBe(first['AccessKeyId']);
      await expect(listSecretsWith(first as never)).resolves.toBeDefined();
      await expect(listSecretsWith(second as never)).resolves.toBeDefined();
      emulator.advanceClock(30);
      await expect(listSecretsWith(first as never)).rejects.toMatchObject({ name: 'ExpiredTokenException' });
      await expect(listSecretsWith(second as never)).resolves.toBeDefined();
    } finally {
      emulator.advanceClock(-61);
    }
    expect((await get('/latest/meta-data/iam/security-credentials/other-role', session)).status).toBe(404);
  });

  it('works with the SDK fromInstanceMetadata provider (AWS_EC2_METADATA_SERVICE_ENDPOINT)', async () => {
    const child = new CredentialsChild('instance', { AWS_EC2_METADATA_SERVICE_ENDPOINT: emulator.imdsUrl });
    try {
      const first = await child.next();
      expect(first.accessKeyId).toMatch(/^ASIA/);
      await expect(listSecretsWith({ AccessKeyId: first.accessKeyId, SecretAccessKey: first.secretAccessKey, Token: first.sessionToken })).resolves.toBeDefined();
      const rotated = emulator.rotateInstanceCredentials();
      expect((await child.next()).accessKeyId).toBe(rotated.accessKeyId);
    } finally {
      await child.close();
    }
  });

  it('serves container credentials to the Authorization it was given, for fromHttp and fromContainerMetadata', async () => {
    expect((await fetch(emulator.containerCredentialsUrl)).status).toBe(401);
    const answer = (await (await fetch(emulator.containerCredentialsUrl, { headers: { Authorization: 'ecs-agent-secret' } })).json()) as Record<string, string>;
    expect(answer).toMatchObject({ AccessKeyId: expect.stringMatching(/^ASIA/), RoleArn: 'arn:aws:iam::123456789012:role/keygate-task-role' });
    await expect(listSecretsWith(answer as never)).resolves.toBeDefined();

    const provider = fromHttp({ awsContainerCredentialsFullUri: emulator.containerCredentialsUrl, awsContainerAuthorizationToken: 'ecs-agent-secret' });
    expect((await provider()).accessKeyId).toBe(answer['AccessKeyId']);

    const child = new CredentialsChild('container', {
      AWS_CONTAINER_CREDENTIALS_FULL_URI: emulator.containerCredentialsUrl,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: 'ecs-agent-secret',
    });
    try {
      expect((await child.next()).accessKeyId).toBe(answer['AccessKeyId']);
    } finally {
      await child.close();
    }
  });
});
