import type { AwsCredentialIdentity } from '@smithy/types';
import { AwsCredentialsError } from './errors';
import { retry } from '@keygate/net';
import { networkReason, type CallLimits } from './retry';

export const DEFAULT_IMDS_ENDPOINT = 'http://169.254.169.254';

export interface InstanceMetadataOptions extends CallLimits {
  /** `AWS_EC2_METADATA_SERVICE_ENDPOINT`. @defaultValue http://169.254.169.254 */
  readonly endpoint?: string;
}

class ImdsHttpError extends Error {
  constructor(readonly status: number, what: string) {
    super(`instance metadata service answered ${status} to ${what}`);
  }
}

type ImdsGet = (path: string, what: string) => Promise<string>;

/**
 * One IMDSv2 exchange: a session token (`PUT /latest/api/token`), then the GETs `read` makes with
 * it, retried with a short growing pause (IMDS answers locally or not at all). Failures become an
 * `AwsCredentialsError` naming the endpoint and the cause.
 */
async function withImds<T>(options: InstanceMetadataOptions, read: (get: ImdsGet) => Promise<T>): Promise<T> {
  const base = (options.endpoint ?? DEFAULT_IMDS_ENDPOINT).replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 1000;
  const call = async (method: 'GET' | 'PUT', path: string, headers: Record<string, string>, what: string): Promise<string> => {
    const res = await fetch(`${base}${path}`, { method, headers, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    if (!res.ok) throw new ImdsHttpError(res.status, what);
    return text;
  };
  const retryable = (err: unknown) => !(err instanceof ImdsHttpError) || err.status >= 500 || err.status === 429;
  try {
    return await retry(
      async () => {
        const token = await call('PUT', '/latest/api/token', { 'x-aws-ec2-metadata-token-ttl-seconds': '21600' }, 'the session token request');
        return read((path, what) => call('GET', path, { 'x-aws-ec2-metadata-token': token }, what));
      },
      { attempts: 1 + (options.maxRetries ?? 2), initialMs: 100, maxMs: 5_000, retryable: (err) => !(err instanceof AwsCredentialsError) && retryable(err) },
    );
  } catch (err) {
    if (err instanceof AwsCredentialsError) throw err;
    const reason = (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : networkReason(err);
    throw new AwsCredentialsError(`EC2 instance metadata service at ${base}: ${reason}`, { cause: err });
  }
}

/**
 * EC2 instance profile credentials over IMDSv2: the role name, then the role's credentials.
 * Written here rather than taken from the SDK because the SDK reads the endpoint from
 * `process.env` only, and we pass settings explicitly.
 */
export async function instanceMetadataCredentials(options: InstanceMetadataOptions = {}): Promise<AwsCredentialIdentity> {
  return withImds(options, async (get) => {
    const roles = await get('/latest/meta-data/iam/security-credentials/', 'the role name request');
    const role = roles.split('\n').map((r) => r.trim()).find((r) => r !== '');
    if (!role) throw new AwsCredentialsError('the instance has no IAM role (instance profile)');
    const body = JSON.parse(await get(`/latest/meta-data/iam/security-credentials/${encodeURIComponent(role)}`, 'the credentials request')) as {
      Code?: string;
      AccessKeyId?: string;
      SecretAccessKey?: string;
      Token?: string;
      Expiration?: string;
    };
    if (body.Code !== 'Success' || !body.AccessKeyId || !body.SecretAccessKey) {
      throw new AwsCredentialsError(`instance metadata service returned no credentials for role ${role} (Code ${body.Code ?? 'missing'})`);
    }
    return {
      accessKeyId: body.AccessKeyId,
      secretAccessKey: body.SecretAccessKey,
      ...(body.Token ? { sessionToken: body.Token } : {}),
      ...(body.Expiration ? { expiration: new Date(body.Expiration) } : {}),
    };
  });
}

/** The instance's region (`placement/region` over IMDSv2), for callers given no `AWS_REGION`. */
export async function instanceRegion(options: InstanceMetadataOptions = {}): Promise<string> {
  return withImds(options, async (get) => {
    const region = (await get('/latest/meta-data/placement/region', 'the region request')).trim();
    if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) throw new AwsCredentialsError('instance metadata service gave no valid region');
    return region;
  });
}
