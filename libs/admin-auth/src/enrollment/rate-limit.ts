import { EnrollmentError } from './errors';

/**
 * A token bucket per client address for the unauthenticated exchange endpoints: guessing tokens
 * or hammering the credential check costs the attacker time, not this node's database.
 */
export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly burst = 10,
    private readonly perMinute = 30,
  ) {}

  take(client: string, now = Date.now()): void {
    if (this.#buckets.size > 10_000) this.#buckets.clear();
    const bucket = this.#buckets.get(client) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 60_000) * this.perMinute);
    bucket.at = now;
    this.#buckets.set(client, bucket);
    if (bucket.tokens < 1) throw new EnrollmentError('ENROLLMENT_RATE_LIMITED', 'API rate limit exceeded');
    bucket.tokens -= 1;
  }
}
