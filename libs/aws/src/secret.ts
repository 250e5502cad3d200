import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AwsEnvironment } from '@keygate/config';
import type { Logger } from '@keygate/logging';
import { credentialChain } from './chain';
import { AwsCredentialsError, describeAwsError } from './errors';
import { instanceRegion } from './imds';
import { sdkLimits, type CallLimits } from './retry';

/** A secret could not be read; the message names the cause in the operator's terms, never a value. */
export class AwsSecretError extends Error {
  readonly code = 'AWS_SECRET';
}

export interface ReadSecretOptions extends CallLimits {
  readonly logger?: Logger;
}

/**
 * The current (`AWSCURRENT`) string value of Secrets Manager secret `name` (a name or an ARN),
 * with credentials from the standard chain (normally the EC2 instance role through IMDSv2), in
 * `AWS_REGION` (else the instance's region from IMDS), at `AWS_ENDPOINT_URL_SECRETS_MANAGER` /
 * `AWS_ENDPOINT_URL` when set.
 */
export async function readSecretString(name: string, aws: AwsEnvironment, options: ReadSecretOptions = {}): Promise<string> {
  const region = aws.region ?? (await regionFromInstance(aws));

  const limits = { timeoutMs: options.timeoutMs, maxRetries: options.maxRetries ?? 2 };
  const credentials = credentialChain(aws, { region, logger: options.logger, ...limits });
  const endpoint = aws.secretsManagerEndpoint ?? `https://secretsmanager.${region}.amazonaws.com`;
  const client = new SecretsManagerClient({ region, endpoint, credentials, ...sdkLimits(limits) });
  try {
    const out = await client.send(new GetSecretValueCommand({ SecretId: name }));
    if (typeof out.SecretString === 'string') return out.SecretString;
    if (out.SecretBinary) return Buffer.from(out.SecretBinary).toString('utf8');
    throw new AwsSecretError('the secret has no value');
  } catch (err) {
    if (err instanceof AwsSecretError) throw err;
    throw new AwsSecretError(explain(err, region), { cause: err });
  } finally {
    client.destroy();
  }
}

async function regionFromInstance(aws: AwsEnvironment): Promise<string> {
  const hint = 'no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION) to the region of the secret';
  if (aws.ec2MetadataDisabled) throw new AwsSecretError(hint);
  try {
    return await instanceRegion(aws.ec2MetadataServiceEndpoint ? { endpoint: aws.ec2MetadataServiceEndpoint } : {});
  } catch (err) {
    throw new AwsSecretError(`${hint} (not on an EC2 instance either: ${(err as Error).message})`);
  }
}

function explain(err: unknown, region: string): string {
  if (err instanceof AwsCredentialsError) return err.message;
  const name = (err as Error).name;
  const described = describeAwsError(err);
  if (name === 'ResourceNotFoundException') {
    return `no such secret in region ${region} (${described}); give the secret's name as created (without the random suffix of its ARN) and check AWS_REGION`;
  }
  if (name === 'AccessDeniedException') return `access denied (${described}); the role needs secretsmanager:GetSecretValue on this secret's ARN`;
  // A request signed for the wrong region, or a region with no such endpoint.
  if (/region/i.test(described) || (err as { code?: string }).code === 'ENOTFOUND' || /ENOTFOUND/.test(String((err as { cause?: unknown }).cause))) {
    return `region ${region} looks wrong for this secret (${described}); set AWS_REGION to the region the secret was created in`;
  }
  return `Secrets Manager in region ${region} answered: ${described}`;
}
