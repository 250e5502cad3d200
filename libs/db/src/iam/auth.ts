import type { Config } from '@keygate/config';
import { assumeRole, credentialChain } from '@keygate/aws';
import type { Logger } from '@keygate/logging';
import { iamAuthEnabled, DatabaseSettingsError, type PasswordProvider, type PoolRole } from '../settings';
import { ConnectionRateLimiter } from './rate-limit';
import { regionFromRdsHost } from './region';
import { IamTokenSource } from './tokens';

export interface IamAuth {
  /** The per-connection password for `role` when IAM auth is on for it, else undefined. */
  password(role: PoolRole): PasswordProvider | undefined;
  readonly limiter: ConnectionRateLimiter;
  /** Tokens signed so far, every role (for metrics). */
  tokensSigned(): number;
}

type Field = 'host' | 'port' | 'user' | 'password' | 'iam_auth_assume_role_arn' | 'iam_auth_role_session_name' | 'iam_auth_sts_endpoint_url';

/**
 * RDS IAM authentication for this process: one new-connection rate limit shared by the
 * read-write and read-only pools (`pg_iam_auth_max_connections_per_second`), and per role its own
 * user, optional assumed role and token cache. Credentials come from the standard chain captured
 * at start (`config.aws`).
 */
export function createIamAuth(config: Config, logger: Logger): IamAuth {
  const limiter = new ConnectionRateLimiter(config.pg_iam_auth_max_connections_per_second);
  const sources = new Map<PoolRole, IamTokenSource>();
  const log = logger.child({ component: 'rds-iam' });
  return {
    limiter,
    tokensSigned: () => [...sources.values()].reduce((n, source) => n + source.signed, 0),
    password(role) {
      if (!iamAuthEnabled(config, role)) return undefined;
      let source = sources.get(role);
      if (!source) {
        source = tokenSource(config, role, limiter, log);
        sources.set(role, source);
      }
      const current = source;
      return () => current.password();
    },
  };
}

function tokenSource(config: Config, role: PoolRole, limiter: ConnectionRateLimiter, logger: Logger): IamTokenSource {
  const prefix = role === 'ro' ? 'pg_ro' : 'pg';
  const get = <F extends Field>(field: F): Config[`pg_${F}`] => {
    const ro = role === 'ro' ? (config[`pg_ro_${field}` as keyof Config] as Config[`pg_${F}`] | undefined) : undefined;
    return ro ?? config[`pg_${field}`];
  };
  const host = get('host');
  const region = regionFromRdsHost(host) ?? config.aws.region;
  if (!region) {
    throw new DatabaseSettingsError(`${prefix}_host`, `cannot tell the AWS region of ${host} (not an RDS endpoint name); set AWS_REGION`);
  }
  if (get('password') !== undefined) logger.warn(`${prefix}_password is ignored: ${prefix}_iam_auth is on, each connection signs an IAM token`);
  const base = credentialChain(config.aws, { region, logger });
  const roleArn = get('iam_auth_assume_role_arn');
  const credentials = roleArn
    ? assumeRole({
        base,
        roleArn,
        roleSessionName: get('iam_auth_role_session_name'),
        region,
        stsEndpointUrl: get('iam_auth_sts_endpoint_url') ?? config.vault_options.vault_aws_sts_endpoint_url,
        ...(config.aws.stsRegionalEndpoints ? { stsRegionalEndpoints: config.aws.stsRegionalEndpoints } : {}),
        logger,
      })
    : base;
  logger.info({ role, host, region, user: get('user'), assume_role_arn: roleArn }, 'RDS IAM authentication on');
  return new IamTokenSource({ host, port: get('port'), user: get('user'), region, credentials, limiter, logger });
}
