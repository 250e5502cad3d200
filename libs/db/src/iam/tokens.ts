import { Signer } from '@aws-sdk/rds-signer';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { Secret } from '@keygate/crypto';
import type { Logger } from '@keygate/logging';
import type { ConnectionRateLimiter } from './rate-limit';

/** RDS IAM tokens are valid for 15 minutes. */
export const TOKEN_LIFETIME_MS = 15 * 60 * 1000;

export interface IamTokenOptions {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly region: string;
  /** Base or assumed-role credentials (cached and refreshed by libs/aws). */
  readonly credentials: AwsCredentialIdentityProvider;
  readonly limiter: ConnectionRateLimiter;
  readonly logger: Logger;
  /** Re-sign this long before the token or the credentials expire. Default 60 s. */
  readonly marginMs?: number;
  readonly now?: () => number;
}

/**
 * The password of each new connection to RDS with IAM auth: a token signed with
 * `@aws-sdk/rds-signer`, cached for (host, port, user, role) and re-signed before the earlier of
 * its 15-minute life and the credentials' expiry. When temporary credentials rotate, the next
 * connection gets a token signed with the new ones (Kong 3.6 kept signing with expired ones).
 * Every call waits for the new-connection rate limit.
 */
export class IamTokenSource {
  #token: { value: Secret<string>; expiresAt: number; credentialsId: string } | undefined;
  #signing: Promise<Secret<string>> | undefined;
  signed = 0;

  constructor(private readonly options: IamTokenOptions) {}

  async password(): Promise<Secret<string>> {
    await this.options.limiter.acquire();
    const credentials = await this.options.credentials();
    const now = (this.options.now ?? Date.now)();
    const current = this.#token;
    if (current && current.credentialsId === identity(credentials) && now < current.expiresAt) return current.value;
    this.#signing ??= this.#sign(credentials, now).finally(() => {
      this.#signing = undefined;
    });
    return this.#signing;
  }

  async #sign(credentials: AwsCredentialIdentity, now: number): Promise<Secret<string>> {
    const { host, port, user, region } = this.options;
    const signer = new Signer({ hostname: host, port, username: user, region, credentials });
    const value = new Secret(await signer.getAuthToken());
    const margin = this.options.marginMs ?? 60_000;
    const credentialsExpiry = credentials.expiration?.getTime() ?? Infinity;
    const expiresAt = Math.min(now + TOKEN_LIFETIME_MS, credentialsExpiry) - margin;
    this.#token = { value, expiresAt, credentialsId: identity(credentials) };
    this.signed++;
    this.options.logger.debug({ host, port, user, region, valid_for_ms: expiresAt - now }, 'signed a new RDS IAM token');
    return value;
  }
}

/** Which credential set signed a token (never the secret part). */
function identity(credentials: AwsCredentialIdentity): string {
  return `${credentials.accessKeyId}|${credentials.expiration?.getTime() ?? ''}`;
}
