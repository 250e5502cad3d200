import type { AccessKeyOption } from './credentials';
import type { AwsEmulatorOptions } from './emulator';
import type { RoleOption, WebIdentityTokenOption } from './sts/operations';

export interface ResolvedOptions {
  readonly host: string;
  readonly port: number;
  readonly imdsPort: number;
  readonly region: string;
  readonly accountId: string;
  readonly accessKeys: readonly AccessKeyOption[];
  readonly credentialLifetimeSeconds: number;
  readonly roles?: readonly RoleOption[];
  readonly webIdentityTokens: readonly WebIdentityTokenOption[];
  readonly instanceRoleName: string;
  readonly containerRoleArn: string;
  readonly containerAuthorizationToken?: string;
  readonly imdsV1: boolean;
}

function port(value: number | undefined, name: string): number {
  const p = value ?? 0;
  if (!Number.isInteger(p) || p < 0 || p > 65535) throw new Error(`${name} must be a port number from 0 to 65535, not ${String(value)}`);
  return p;
}

/** Applies the documented defaults and refuses bad options before anything listens. */
export function resolveOptions(options: AwsEmulatorOptions): ResolvedOptions {
  const region = options.region ?? 'us-east-1';
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) throw new Error(`region must look like us-east-1, not '${region}'`);
  const accountId = options.accountId ?? '123456789012';
  if (!/^\d{12}$/.test(accountId)) throw new Error(`accountId must be 12 digits, not '${accountId}'`);
  const lifetime = options.credentialLifetimeSeconds ?? 3600;
  if (!Number.isInteger(lifetime) || lifetime < 1) throw new Error(`credentialLifetimeSeconds must be a positive whole number, not ${lifetime}`);
  for (const key of options.accessKeys ?? []) {
    if (!key.accessKeyId || !key.secretAccessKey) throw new Error('each access key needs accessKeyId and secretAccessKey');
  }
  const instanceRoleName = options.instanceRoleName ?? 'keygate-instance-role';
  if (!/^[\w+=,.@-]{1,64}$/.test(instanceRoleName)) throw new Error(`instanceRoleName '${instanceRoleName}' is not a valid IAM role name`);
  return {
    host: options.host ?? '127.0.0.1',
    port: port(options.port, 'port'),
    imdsPort: port(options.imdsPort, 'imdsPort'),
    region,
    accountId,
    accessKeys: options.accessKeys ?? [],
    credentialLifetimeSeconds: lifetime,
    roles: options.roles?.map((role) => (typeof role === 'string' ? { arn: role } : role)),
    webIdentityTokens: (options.webIdentityTokens ?? []).map((token) => (typeof token === 'string' ? { token } : token)),
    instanceRoleName,
    containerRoleArn: options.containerRoleArn ?? `arn:aws:iam::${accountId}:role/keygate-task-role`,
    containerAuthorizationToken: options.containerAuthorizationToken,
    imdsV1: options.imdsV1 ?? false,
  };
}
