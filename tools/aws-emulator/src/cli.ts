import { integer, parseOrExplain, serveUntilSignal } from '@keygate/tool-kit';
import { parseArgs } from 'node:util';
import { startAwsEmulator, type AwsEmulator, type AwsEmulatorOptions } from './emulator';

const USAGE = `usage: keygate-aws-emulator [options]
  --host HOST                    address to bind (default 127.0.0.1)
  --port N                       Secrets Manager + STS port (default 0: a free port)
  --imds-port N                  EC2 IMDS + ECS credentials port (default 0: a free port)
  --region R                     (default us-east-1)
  --account-id ID                (default 123456789012)
  --access-key-id ID             long-term key to accept; repeat with --secret-access-key for several
  --secret-access-key KEY
  --credential-lifetime S        lifetime of issued temporary credentials (default 3600)
  --role ARN                     a role AssumeRole may assume (repeatable; default: any)
  --web-identity-token T         a token AssumeRoleWithWebIdentity accepts (repeatable)
  --instance-role-name NAME      IMDS instance profile role (default keygate-instance-role)
  --container-role-arn ARN       role of the ECS credentials endpoint
  --container-auth-token T       Authorization value the ECS endpoint requires
  --imds-v1                      answer IMDS requests without a session token
Prints one JSON line with the bound endpoints; stops on SIGINT/SIGTERM.`;

export function parseCli(argv: readonly string[]): AwsEmulatorOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'imds-port': { type: 'string' },
      region: { type: 'string' },
      'account-id': { type: 'string' },
      'access-key-id': { type: 'string', multiple: true },
      'secret-access-key': { type: 'string', multiple: true },
      'credential-lifetime': { type: 'string' },
      role: { type: 'string', multiple: true },
      'web-identity-token': { type: 'string', multiple: true },
      'instance-role-name': { type: 'string' },
      'container-role-arn': { type: 'string' },
      'container-auth-token': { type: 'string' },
      'imds-v1': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const ids = values['access-key-id'] ?? [];
  const secrets = values['secret-access-key'] ?? [];
  if (ids.length !== secrets.length) throw new Error('give each --access-key-id its own --secret-access-key');
  return {
    host: values.host,
    port: integer(values.port, 'port'),
    imdsPort: integer(values['imds-port'], 'imds-port'),
    region: values.region,
    accountId: values['account-id'],
    accessKeys: ids.map((accessKeyId, i) => ({ accessKeyId, secretAccessKey: secrets[i]! })),
    credentialLifetimeSeconds: integer(values['credential-lifetime'], 'credential-lifetime'),
    roles: values.role,
    webIdentityTokens: values['web-identity-token'],
    instanceRoleName: values['instance-role-name'],
    containerRoleArn: values['container-role-arn'],
    containerAuthorizationToken: values['container-auth-token'],
    imdsV1: values['imds-v1'],
  };
}

/** The one line a parent process reads to learn where the emulator listens. */
export function readyLine(emulator: AwsEmulator, generatedKey: boolean): string {
  const key = emulator.accessKeys[0]!;
  return JSON.stringify({
    url: emulator.url,
    port: emulator.port,
    imdsUrl: emulator.imdsUrl,
    imdsPort: emulator.imdsPort,
    containerCredentialsUrl: emulator.containerCredentialsUrl,
    region: emulator.region,
    accountId: emulator.accountId,
    accessKeyId: key.accessKeyId,
    // A generated key is printed once so the caller can use it; a key passed in is not echoed.
    ...(generatedKey ? { secretAccessKey: key.secretAccessKey } : {}),
  });
}

export async function main(argv: readonly string[]): Promise<void> {
  const options = parseOrExplain(() => parseCli(argv), USAGE);
  if (!options) return;
  const emulator = await startAwsEmulator(options);
  serveUntilSignal(emulator, readyLine(emulator, (options.accessKeys ?? []).length === 0));
}
