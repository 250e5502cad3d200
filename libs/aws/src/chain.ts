import { fromHttp, fromIni, fromTokenFile } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity } from '@smithy/types';
import type { AwsEnvironment } from '@keygate/config';
import type { Logger } from '@keygate/logging';
import { cachedProvider, type DescribedProvider } from './cached';
import { AwsCredentialsError, describeAwsError } from './errors';
import { instanceMetadataCredentials } from './imds';
import { sdkLimits, type CallLimits } from './retry';
import { stsEndpoint } from './sts';

export interface CredentialChainOptions extends CallLimits {
  /** Region for STS calls of the web identity and profile sources. @defaultValue `aws.region`, else us-east-1 */
  readonly region?: string;
  /** STS endpoint for those calls (private endpoint, emulator). @defaultValue regional, or global with `AWS_STS_REGIONAL_ENDPOINTS=legacy` */
  readonly stsEndpointUrl?: string;
  /** Per-attempt timeout of the local metadata endpoints (IMDS, ECS), also the ECS retry pause. @defaultValue 1000 */
  readonly metadataTimeoutMs?: number;
  /** Refresh temporary credentials this long before they expire. @defaultValue 300000 */
  readonly refreshMarginMs?: number;
  readonly logger?: Logger;
  readonly now?: () => number;
}

interface Source {
  readonly describe: string;
  /** Whether the environment asks for this source at all. */
  readonly configured: boolean;
  /** Errors marked `tryNextLink` (the SDK's "not configured here") move on to the next source. */
  readonly provider: DescribedProvider;
}

/**
 * The standard AWS credential chain over values read once at start: environment keys, the
 * shared profile, web identity (EKS), ECS container credentials, then the EC2 instance profile
 * (IMDSv2). The first source that is configured answers from then on; temporary credentials
 * are cached and refreshed before they expire.
 */
export function credentialChain(aws: AwsEnvironment, options: CredentialChainOptions = {}): DescribedProvider {
  const sources = chainSources(aws, options);
  let chosen: Source | undefined;
  const provider = async (props?: Record<string, unknown>): Promise<AwsCredentialIdentity> => {
    if (chosen) return chosen.provider(props);
    const skipped: string[] = [];
    for (const source of sources) {
      if (!source.configured) continue;
      try {
        const credentials = await source.provider(props);
        chosen = source;
        options.logger?.debug({ source: source.describe }, 'AWS credentials found');
        return credentials;
      } catch (err) {
        if (!nextLink(err)) throw err;
        skipped.push(`${source.describe}: ${describeAwsError((err as { cause?: unknown }).cause ?? err)}`);
      }
    }
    throw new AwsCredentialsError(
      'no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile (AWS_PROFILE), web identity ' +
        '(AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN), ECS container credentials, or run with an EC2 instance profile' +
        (skipped.length > 0 ? ` (${skipped.join('; ')})` : ''),
    );
  };
  return Object.assign(provider, { describe: () => chosen?.describe ?? 'AWS credential chain (no source found yet)' });
}

function nextLink(err: unknown): boolean {
  const e = err as { tryNextLink?: boolean; cause?: { tryNextLink?: boolean } };
  return e.tryNextLink === true || e.cause?.tryNextLink === true;
}

function chainSources(aws: AwsEnvironment, options: CredentialChainOptions): Source[] {
  const region = options.region ?? aws.region ?? 'us-east-1';
  const limits = { timeoutMs: options.timeoutMs, maxRetries: options.maxRetries };
  const cache = (describe: string, fetch: () => Promise<AwsCredentialIdentity>) =>
    cachedProvider(fetch, { describe, refreshMarginMs: options.refreshMarginMs, logger: options.logger, now: options.now });
  const stsClientConfig = { region, endpoint: options.stsEndpointUrl ?? stsEndpoint(region, aws.stsRegionalEndpoints), ...sdkLimits(limits) };
  const profile = aws.profile ?? 'default';
  return [
    {
      describe: `environment (AWS_ACCESS_KEY_ID ${aws.accessKeyId ?? ''})`,
      configured: aws.accessKeyId !== undefined || aws.secretAccessKey !== undefined,
      provider: cache(`environment (AWS_ACCESS_KEY_ID ${aws.accessKeyId ?? ''})`, async () => {
        if (!aws.accessKeyId || !aws.secretAccessKey) {
          throw new AwsCredentialsError(`AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together (only ${aws.accessKeyId ? 'AWS_ACCESS_KEY_ID' : 'AWS_SECRET_ACCESS_KEY'} is set)`);
        }
        return {
          accessKeyId: aws.accessKeyId,
          secretAccessKey: aws.secretAccessKey.reveal(),
          ...(aws.sessionToken ? { sessionToken: aws.sessionToken.reveal() } : {}),
        };
      }),
    },
    {
      describe: `profile ${profile}`,
      configured: true,
      provider: cache(`profile ${profile}`, async () => {
        const fromProfile = fromIni({
          profile,
          ...(aws.sharedCredentialsFile ? { filepath: aws.sharedCredentialsFile } : {}),
          ...(aws.configFile ? { configFilepath: aws.configFile } : {}),
          clientConfig: stsClientConfig,
        });
        try {
          return await fromProfile();
        } catch (err) {
          // A profile named explicitly (AWS_PROFILE) must exist; the default one may not.
          if (aws.profile !== undefined) throw new AwsCredentialsError(`profile ${profile}: ${describeAwsError(err)}`, { cause: err });
          throw err;
        }
      }),
    },
    {
      describe: `web identity (${aws.roleArn ?? ''})`,
      configured: aws.webIdentityTokenFile !== undefined && aws.roleArn !== undefined,
      provider: cache(
        `web identity (${aws.roleArn ?? ''}, token file ${aws.webIdentityTokenFile ?? ''})`,
        fromTokenFile({
          webIdentityTokenFile: aws.webIdentityTokenFile,
          roleArn: aws.roleArn,
          roleSessionName: aws.roleSessionName ?? `keygate-${Date.now()}`,
          clientConfig: stsClientConfig,
        }),
      ),
    },
    {
      describe: 'ECS container credentials',
      configured: aws.containerCredentialsFullUri !== undefined || aws.containerCredentialsRelativeUri !== undefined,
      provider: cache(
        `ECS container credentials (${aws.containerCredentialsFullUri ?? aws.containerCredentialsRelativeUri ?? ''})`,
        fromHttp({
          ...(aws.containerCredentialsFullUri ? { awsContainerCredentialsFullUri: aws.containerCredentialsFullUri } : {}),
          ...(aws.containerCredentialsRelativeUri ? { awsContainerCredentialsRelativeUri: aws.containerCredentialsRelativeUri } : {}),
          ...(aws.containerAuthorizationToken ? { awsContainerAuthorizationToken: aws.containerAuthorizationToken.reveal() } : {}),
          timeout: options.metadataTimeoutMs ?? 1000,
          maxRetries: options.maxRetries ?? 2,
        }),
      ),
    },
    {
      describe: 'EC2 instance profile (IMDSv2)',
      configured: !aws.ec2MetadataDisabled,
      provider: cache(`EC2 instance profile (IMDSv2 at ${aws.ec2MetadataServiceEndpoint ?? 'http://169.254.169.254'})`, () =>
        instanceMetadataCredentials({
          ...(aws.ec2MetadataServiceEndpoint ? { endpoint: aws.ec2MetadataServiceEndpoint } : {}),
          timeoutMs: options.metadataTimeoutMs ?? 1000,
          maxRetries: options.maxRetries ?? 2,
        }),
      ),
    },
  ];
}
