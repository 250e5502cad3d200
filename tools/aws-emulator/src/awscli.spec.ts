import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { processEnv } from '@keygate/config';
import { cleanEnv, TEST_KEY } from '../test/helpers';
import { startAwsEmulator, type AwsEmulator } from './index';

jest.setTimeout(60_000);

function onPath(command: string): string | undefined {
  for (const dir of (processEnv()['PATH'] ?? '').split(delimiter)) {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return join(dir, command);
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

const aws = onPath('aws');

// A missing tool fails the run (nothing is skipped): .ci/run installs Debian's awscli; on a
// developer machine, `apt-get install awscli`.
if (!aws) {
  it('needs the aws CLI on PATH (apt-get install awscli)', () => {
    throw new Error('the aws CLI is not installed: apt-get install awscli (.ci/run does)');
  });
}

(aws ? describe : describe.skip)('the aws CLI against the emulator (commands from Kong docs, verbatim but for --endpoint-url)', () => {
  let emulator: AwsEmulator;

  beforeAll(async () => {
    emulator = await startAwsEmulator({ accessKeys: [TEST_KEY] });
  });
  afterAll(() => emulator.stop());

  function run(args: string[], secretAccessKey = TEST_KEY.secretAccessKey): Promise<{ code: number; stdout: string; stderr: string }> {
    const env = cleanEnv({
      AWS_ACCESS_KEY_ID: TEST_KEY.accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
      AWS_REGION: emulator.region,
      AWS_DEFAULT_REGION: emulator.region, // awscli v1 reads only this one
      AWS_PAGER: '',
    });
    return new Promise((resolve) => {
      execFile(aws!, ['--endpoint-url', emulator.url, ...args], { env }, (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      });
    });
  }

  it('creates, fills and reads the kong-gateway-database secret', async () => {
    const created = await run(['secretsmanager', 'create-secret', '--name', 'kong-gateway-database', '--description', 'Kong GW Database credentials']);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(created.stdout)).toMatchObject({ Name: 'kong-gateway-database' });

    const put = await run(['secretsmanager', 'put-secret-value', '--secret-id', 'kong-gateway-database', '--secret-string', '{"pg_user":"kong","pg_password":"KongFTW"}']);
    expect(put.code).toBe(0);
    expect(JSON.parse(put.stdout)).toMatchObject({ VersionStages: ['AWSCURRENT'] });

    const got = await run(['secretsmanager', 'get-secret-value', '--secret-id', 'kong-gateway-database']);
    expect(got.code).toBe(0);
    const value = JSON.parse(got.stdout) as { SecretString: string; Name: string };
    expect(value.Name).toBe('kong-gateway-database');
    expect(JSON.parse(value.SecretString)).toEqual({ pg_user: 'kong', pg_password: 'KongFTW' });

    const described = await run(['secretsmanager', 'describe-secret', '--secret-id', 'kong-gateway-database']);
    expect(JSON.parse(described.stdout)).toMatchObject({ Description: 'Kong GW Database credentials' });
  });

  it('reports who is calling and refuses a wrong secret key', async () => {
    const identity = await run(['sts', 'get-caller-identity']);
    expect(JSON.parse(identity.stdout)).toMatchObject({ Account: '123456789012', Arn: 'arn:aws:iam::123456789012:user/keygate' });
    const refused = await run(['secretsmanager', 'list-secrets'], 'wrong-secret');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('(InvalidSignatureException)');
  });
});
