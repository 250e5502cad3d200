import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AwsCredentialsError, assumeRole, credentialChain, describeAwsError, sdkLimits } from '@keygate/aws';
import { awsVault } from '@keygate/entities';
import { backendError, secretNotFound, VaultError } from '../errors';
import type { VaultBackend } from './backend';

const STAGES: Record<number, string> = { 1: 'AWSCURRENT', 2: 'AWSPREVIOUS' };

/**
 * AWS Secrets Manager (Kong's `aws` vault): credentials from the standard chain (libs/aws),
 * optionally an assumed role; `#1` = AWSCURRENT, `#2` = AWSPREVIOUS; SecretString (JSON or
 * plain) or SecretBinary (its UTF-8 text).
 */
export const awsBackend: VaultBackend = {
  schema: awsVault,
  connect(config, context) {
    const region = (config.region as string | undefined) ?? context.aws.region;
    const limits = { timeoutMs: context.timeoutMs, maxRetries: 2 };
    const stsEndpointUrl = config.sts_endpoint_url as string | undefined;
    let client: SecretsManagerClient | undefined;
    const connect = (): SecretsManagerClient => {
      if (!region) throw backendError('aws secret manager requires region (set vault_aws_region, the vault config region, or AWS_REGION)');
      const base = credentialChain(context.aws, { region, stsEndpointUrl, logger: context.logger, ...limits });
      const credentials = config.assume_role_arn
        ? assumeRole({ base, roleArn: String(config.assume_role_arn), roleSessionName: String(config.role_session_name ?? 'KongVault'), stsEndpointUrl, region, stsRegionalEndpoints: context.aws.stsRegionalEndpoints, logger: context.logger, ...limits })
        : base;
      const endpoint = (config.endpoint_url as string | undefined) ?? `https://secretsmanager.${region}.amazonaws.com`;
      return (client ??= new SecretsManagerClient({ region, endpoint, credentials, ...sdkLimits(limits) }));
    };
    return {
      async read(resource, version) {
        const stage = STAGES[version ?? 1];
        if (!stage) throw backendError('invalid version for aws secret manager');
        let out;
        try {
          out = await connect().send(new GetSecretValueCommand({ SecretId: resource, VersionStage: stage }));
        } catch (err) {
          if (err instanceof VaultError) throw err;
          if ((err as Error).name === 'ResourceNotFoundException') throw secretNotFound(`aws secret manager has no secret ${resource} (${stage})`);
          const cause = err instanceof AwsCredentialsError ? err.message : describeAwsError(err);
          throw backendError(`unable to retrieve secret from aws secret manager (${cause})`, err);
        }
        if (typeof out.SecretString === 'string') return out.SecretString;
        if (out.SecretBinary) {
          try {
            return new TextDecoder('utf-8', { fatal: true }).decode(out.SecretBinary);
          } catch {
            throw backendError(`secret ${resource} is binary and not UTF-8 text`);
          }
        }
        throw backendError('unable to retrieve secret from aws secret manager (invalid secret string)');
      },
      close: () => client?.destroy(),
    };
  },
};
