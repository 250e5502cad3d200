import { EnrollmentError } from './errors';

/**
 * A token bucket per client address for the unauthenticated exchange endpoints, charged for
 * refused attempts only: guessing tokens or credentials costs the guesser time, while any
 * number of nodes behind one address may join with valid credentials at once.
 */
export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly burst = 10,
    private readonly perMinute = 30,
  ) {}

  /** Throws 429 while `client` has no refusals left. */
  check(client: string, now = Date.now()): void {
    if (this.#bucket(client, now).tokens < 1) throw new EnrollmentError('ENROLLMENT_RATE_LIMITED', 'API rate limit exceeded');
  }

  /** Runs `attempt` for `client`, charging one token when it is refused. */
  async guard<T>(client: string, attempt: () => Promise<T>): Promise<T> {
    this.check(client);
    try {
      return await attempt();
    } catch (err) {
      if (err instanceof EnrollmentError) this.#bucket(client, Date.now()).tokens -= 1;
      throw err;
    }
  }

  #bucket(client: string, now: number): { tokens: number; at: number } {
    if (this.#buckets.size > 10_000) this.#buckets.clear();
    const bucket = this.#buckets.get(client) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 60_000) * this.perMinute);
    bucket.at = now;
    this.#buckets.set(client, bucket);
    return bucket;
  }
}
