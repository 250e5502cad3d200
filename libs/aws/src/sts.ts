import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { Logger } from '@keygate/logging';
import { cachedProvider, type DescribedProvider } from './cached';
import { AwsCredentialsError, describeAwsError } from './errors';
import { sdkLimits, type CallLimits } from './retry';

/**
 * STS endpoint for a region: regional (`https://sts.<region>.amazonaws.com`, the SDK default and
 * what AWS recommends), or the global `https://sts.amazonaws.com` with
 * `AWS_STS_REGIONAL_ENDPOINTS=legacy`. China regions use `amazonaws.com.cn`.
 */
export function stsEndpoint(region: string, mode: 'regional' | 'legacy' | undefined = 'regional'): string {
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return mode === 'legacy' && !region.startsWith('cn-') ? 'https://sts.amazonaws.com' : `https://sts.${region}.${suffix}`;
}

export interface AssumeRoleOptions extends CallLimits {
  /** Credentials that may assume the role (normally `credentialChain(...)`). */
  readonly base: AwsCredentialIdentityProvider;
  readonly roleArn: string;
  readonly roleSessionName: string;
  /** Private VPC endpoint or an emulator; unset: `stsEndpoint(region, stsRegionalEndpoints)`. */
  readonly stsEndpointUrl?: string;
  readonly region: string;
  /** `AWS_STS_REGIONAL_ENDPOINTS`; only used when `stsEndpointUrl` is unset. */
  readonly stsRegionalEndpoints?: 'regional' | 'legacy';
  /** @defaultValue 3600 */
  readonly durationSeconds?: number;
  readonly refreshMarginMs?: number;
  readonly logger?: Logger;
  readonly now?: () => number;
}

/**
 * The role's temporary credentials (STS `AssumeRole` signed with `base`), cached and renewed
 * before they expire; a failed renewal keeps the current ones while they are valid.
 */
export function assumeRole(options: AssumeRoleOptions): DescribedProvider {
  const endpoint = options.stsEndpointUrl ?? stsEndpoint(options.region, options.stsRegionalEndpoints);
  const client = new STSClient({ region: options.region, endpoint, credentials: options.base, ...sdkLimits(options) });
  const describe = `assumed role ${options.roleArn} (STS ${endpoint})`;
  const fetch = async (): Promise<AwsCredentialIdentity> => {
    let out;
    try {
      out = await client.send(
        new AssumeRoleCommand({ RoleArn: options.roleArn, RoleSessionName: options.roleSessionName, DurationSeconds: options.durationSeconds ?? 3600 }),
      );
    } catch (err) {
      const base = (options.base as Partial<DescribedProvider>).describe?.();
      const cause = err instanceof AwsCredentialsError ? err.message : describeAwsError(err);
      throw new AwsCredentialsError(`${describe}${base ? ` with ${base}` : ''}: ${cause}`, { cause: err });
    }
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new AwsCredentialsError(`${describe}: STS returned no credentials`);
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
      ...(c.Expiration ? { expiration: c.Expiration } : {}),
    };
  };
  return cachedProvider(fetch, { describe, refreshMarginMs: options.refreshMarginMs, logger: options.logger, now: options.now });
}
