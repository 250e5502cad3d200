import type { Clock } from '@keygate/tool-kit';
import type { CredentialStore, Principal, TemporaryCredentials } from '../credentials';

/**
 * The rolling credentials of one role on one machine (the EC2 instance profile, the ECS task
 * role). Like AWS, it keeps serving the same set until it gets close to expiry and then hands
 * out a new one; the old set stays valid until its own expiry, so callers that still hold it
 * keep working while they refresh.
 */
export class RollingCredentials {
  private current: TemporaryCredentials | undefined;
  private issuedAt: Date | undefined;

  constructor(
    private readonly store: CredentialStore,
    private readonly clock: Clock,
    private readonly principal: Principal,
    private readonly lifetimeSeconds: number,
  ) {}

  get(): { credentials: TemporaryCredentials; issuedAt: Date } {
    const now = this.clock.now();
    // AWS refreshes instance credentials about 5 minutes before expiry; short test lifetimes refresh at half-life.
    const refreshMs = Math.min(300, this.lifetimeSeconds / 2) * 1000;
    if (!this.current || !this.issuedAt || this.current.expiration.getTime() - now.getTime() <= refreshMs) {
      return this.rotate();
    }
    return { credentials: this.current, issuedAt: this.issuedAt };
  }

  /** Issues a new set now, whatever the age of the current one. */
  rotate(): { credentials: TemporaryCredentials; issuedAt: Date } {
    const now = this.clock.now();
    this.current = this.store.issueTemporary({ principal: this.principal, lifetimeSeconds: this.lifetimeSeconds, now });
    this.issuedAt = now;
    return { credentials: this.current, issuedAt: now };
  }
}
