import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { Logger } from '@keygate/logging';
import { AwsCredentialsError, describeAwsError } from './errors';

export interface CachedProviderOptions {
  /** What the credentials are, for messages (`EC2 instance profile (IMDSv2)`). */
  readonly describe: string;
  /**
   * Refresh this long before the credentials expire, at most half their remaining life when
   * they were fetched (short-lived test credentials). @defaultValue 300000 (5 minutes)
   */
  readonly refreshMarginMs?: number;
  readonly logger?: Logger;
  /** @defaultValue Date.now */
  readonly now?: () => number;
}

/** A provider with the source it reads from, for status and messages. */
export type DescribedProvider = AwsCredentialIdentityProvider & { readonly describe: () => string };

interface Held {
  readonly credentials: AwsCredentialIdentity;
  /** When to fetch new ones (Infinity for long-term keys). */
  readonly refreshAt: number;
}

/**
 * Caches what `fetch` returns until shortly before it expires; concurrent callers share one
 * fetch. When a refresh fails while the held credentials are still valid, they keep being used
 * (and the failure is logged), so a brief outage of IMDS or STS does not stop anything.
 */
export function cachedProvider(fetch: () => Promise<AwsCredentialIdentity>, options: CachedProviderOptions): DescribedProvider {
  const now = options.now ?? Date.now;
  const margin = options.refreshMarginMs ?? 300_000;
  let held: Held | undefined;
  let inflight: Promise<AwsCredentialIdentity> | undefined;

  const refresh = (): Promise<AwsCredentialIdentity> =>
    (inflight ??= (async () => {
      const fetchedAt = now();
      const credentials = await fetch();
      const expires = credentials.expiration?.getTime();
      const refreshAt = expires === undefined ? Infinity : expires - Math.min(margin, Math.max(0, (expires - fetchedAt) / 2));
      held = { credentials, refreshAt };
      return credentials;
    })().finally(() => {
      inflight = undefined;
    }));

  const provider = async (identityProperties?: Record<string, unknown>): Promise<AwsCredentialIdentity> => {
    const current = held;
    const force = identityProperties?.forceRefresh === true;
    if (current && !force && now() < current.refreshAt) return current.credentials;
    try {
      return await refresh();
    } catch (err) {
      const expires = current?.credentials.expiration?.getTime() ?? Infinity;
      if (current && now() < expires) {
        options.logger?.warn({ source: options.describe, error: describeAwsError(err) }, 'cannot refresh AWS credentials; using the current ones until they expire');
        return current.credentials;
      }
      if (err instanceof AwsCredentialsError) throw err;
      throw new AwsCredentialsError(`${options.describe}: ${describeAwsError(err)}`, { cause: err });
    }
  };
  return Object.assign(provider, { describe: () => options.describe });
}
