import { Secret } from '@keygate/crypto';
import type { Env } from './env';

/**
 * The standard AWS environment variables, read once at start (as the AWS CLI and SDKs name
 * them), so that libs/aws gets them passed in instead of reading `process.env`. Secrets are
 * wrapped; empty variables count as unset.
 */
export interface AwsEnvironment {
  readonly accessKeyId?: string;
  readonly secretAccessKey?: Secret<string>;
  readonly sessionToken?: Secret<string>;
  /** `AWS_REGION`, else `AWS_DEFAULT_REGION`. */
  readonly region?: string;
  readonly profile?: string;
  readonly sharedCredentialsFile?: string;
  readonly configFile?: string;
  readonly webIdentityTokenFile?: string;
  readonly roleArn?: string;
  readonly roleSessionName?: string;
  /** `AWS_STS_REGIONAL_ENDPOINTS`: `legacy` sends STS calls to the global endpoint. */
  readonly stsRegionalEndpoints?: 'regional' | 'legacy';
  readonly containerCredentialsFullUri?: string;
  readonly containerCredentialsRelativeUri?: string;
  readonly containerAuthorizationToken?: Secret<string>;
  readonly ec2MetadataServiceEndpoint?: string;
  /** `AWS_ENDPOINT_URL_SECRETS_MANAGER`, else `AWS_ENDPOINT_URL` (the SDKs' service endpoint overrides). */
  readonly secretsManagerEndpoint?: string;
  /** `AWS_EC2_METADATA_DISABLED=true`: never ask IMDS. */
  readonly ec2MetadataDisabled: boolean;
}

export function awsEnvironment(env: Env): AwsEnvironment {
  const get = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const secret = (name: string): Secret<string> | undefined => {
    const value = get(name);
    return value === undefined ? undefined : new Secret(value);
  };
  const sts = get('AWS_STS_REGIONAL_ENDPOINTS')?.toLowerCase();
  const result: AwsEnvironment = {
    accessKeyId: get('AWS_ACCESS_KEY_ID'),
    secretAccessKey: secret('AWS_SECRET_ACCESS_KEY'),
    sessionToken: secret('AWS_SESSION_TOKEN'),
    region: get('AWS_REGION') ?? get('AWS_DEFAULT_REGION'),
    profile: get('AWS_PROFILE'),
    sharedCredentialsFile: get('AWS_SHARED_CREDENTIALS_FILE'),
    configFile: get('AWS_CONFIG_FILE'),
    webIdentityTokenFile: get('AWS_WEB_IDENTITY_TOKEN_FILE'),
    roleArn: get('AWS_ROLE_ARN'),
    roleSessionName: get('AWS_ROLE_SESSION_NAME'),
    stsRegionalEndpoints: sts === 'legacy' ? 'legacy' : sts === 'regional' ? 'regional' : undefined,
    containerCredentialsFullUri: get('AWS_CONTAINER_CREDENTIALS_FULL_URI'),
    containerCredentialsRelativeUri: get('AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'),
    containerAuthorizationToken: secret('AWS_CONTAINER_AUTHORIZATION_TOKEN'),
    ec2MetadataServiceEndpoint: get('AWS_EC2_METADATA_SERVICE_ENDPOINT'),
    secretsManagerEndpoint: get('AWS_ENDPOINT_URL_SECRETS_MANAGER') ?? get('AWS_ENDPOINT_URL'),
    ec2MetadataDisabled: get('AWS_EC2_METADATA_DISABLED')?.toLowerCase() === 'true',
  };
  // Unset fields are left out, so the object prints only what was set.
  return Object.freeze(Object.fromEntries(Object.entries(result).filter(([, v]) => v !== undefined)) as unknown as AwsEnvironment);
}
