import { accessKeyId as newAccessKeyId, principalId, secretAccessKey as newSecretKey, sessionToken as newSessionToken } from './ids';

/** Who a set of credentials belongs to, as GetCallerIdentity reports it. */
export interface Principal {
  readonly arn: string;
  readonly userId: string;
  readonly account: string;
}

/** A key the emulator accepts: long-term (no session token, no expiry) or temporary. */
export interface StoredCredential {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
  readonly principal: Principal;
}

/** Temporary credentials as handed out by STS, IMDS and the container endpoint. */
export interface TemporaryCredentials extends StoredCredential {
  readonly sessionToken: string;
  readonly expiration: Date;
}

/** What a SigV4 verifier needs: the secret (and session) behind an access key id. */
export interface CredentialLookup {
  lookup(accessKeyId: string): StoredCredential | undefined;
}

export interface AccessKeyOption {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** The IAM identity the key belongs to. @defaultValue `arn:aws:iam::<account>:user/keygate` */
  readonly arn?: string;
}

export interface IssueOptions {
  readonly principal: Principal;
  readonly lifetimeSeconds: number;
  readonly now: Date;
}

// Expired temporary keys are kept a while so their use is answered with ExpiredToken
// (as AWS does) rather than "invalid token"; after this they are dropped to bound memory.
const EXPIRED_RETENTION_MS = 24 * 60 * 60 * 1000;

/**
 * Every access key the emulator accepts. Shared by the HTTP endpoints and by anything else that
 * verifies SigV4 with the same keys (an RDS IAM auth front, for instance).
 */
export class CredentialStore implements CredentialLookup {
  private readonly keys = new Map<string, StoredCredential>();

  constructor(readonly accountId: string) {}

  addAccessKey(key: AccessKeyOption): StoredCredential {
    if (!key.accessKeyId || !key.secretAccessKey) {
      throw new Error('an access key needs both accessKeyId and secretAccessKey');
    }
    const arn = key.arn ?? `arn:aws:iam::${this.accountId}:user/keygate`;
    const stored: StoredCredential = {
      accessKeyId: key.accessKeyId,
      secretAccessKey: key.secretAccessKey,
      principal: { arn, userId: principalId('AIDA'), account: accountOf(arn) ?? this.accountId },
    };
    this.keys.set(key.accessKeyId, stored);
    return stored;
  }

  issueTemporary(options: IssueOptions): TemporaryCredentials {
    this.prune(options.now);
    const issued: TemporaryCredentials = {
      accessKeyId: newAccessKeyId('ASIA'),
      secretAccessKey: newSecretKey(),
      sessionToken: newSessionToken(),
      expiration: new Date(options.now.getTime() + options.lifetimeSeconds * 1000),
      principal: options.principal,
    };
    this.keys.set(issued.accessKeyId, issued);
    return issued;
  }

  lookup(accessKeyId: string): StoredCredential | undefined {
    return this.keys.get(accessKeyId);
  }

  private prune(now: Date): void {
    for (const [id, key] of this.keys) {
      if (key.expiration && key.expiration.getTime() + EXPIRED_RETENTION_MS < now.getTime()) this.keys.delete(id);
    }
  }
}

/** The account field of an ARN (`arn:aws:iam::123456789012:user/x` -> `123456789012`). */
export function accountOf(arn: string): string | undefined {
  const account = arn.split(':')[4];
  return account && /^\d{12}$/.test(account) ? account : undefined;
}
