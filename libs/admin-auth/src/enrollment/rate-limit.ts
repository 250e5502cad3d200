import { EnrollmentError } from './errors';

/**
 * A token bucket per client address for the unauthenticated exchange endpoints, charged for
 * refused attempts only: guessing tokens or credentials costs the guesser time, while any
 * number of nodes behind one address may join with valid credentials (at most a burst of them
 * in flight at the same moment: an attempt holds a token until it is answered).
 */
interface Bucket {
  tokens: number;
  at: number;
}

/** Clients remembered at once; beyond, those with a full budget are forgotten first. */
const MAX_CLIENTS = 10_000;

export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #overflow: Bucket = { tokens: 0, at: 0 };
  #prunedAt = -Infinity;

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
    // Charged before the attempt and given back unless refused: attempts sent all at once must
    // not all pass the check while the first ones are still being answered.
    this.#bucket(client, Date.now()).tokens -= 1;
    try {
      const result = await attempt();
      this.#refund(client);
      return result;
    } catch (err) {
      if (!(err instanceof EnrollmentError)) this.#refund(client);
      throw err;
    }
  }

  #refund(client: string): void {
    const bucket = this.#bucket(client, Date.now());
    bucket.tokens = Math.min(this.burst, bucket.tokens + 1);
  }

  #bucket(client: string, now: number): Bucket {
    let bucket = this.#buckets.get(client);
    if (!bucket) {
      if (this.#buckets.size >= MAX_CLIENTS) this.#forgetRefilled(now);
      // Still full of clients with refusals to pay off: newcomers share one bucket. Emptying the
      // table instead would give every guesser a fresh burst for the price of 10,000 addresses.
      if (this.#buckets.size >= MAX_CLIENTS) return this.#refill(this.#overflow, now);
      bucket = { tokens: this.burst, at: now };
      this.#buckets.set(client, bucket);
    }
    return this.#refill(bucket, now);
  }

  #refill(bucket: Bucket, now: number): Bucket {
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 60_000) * this.perMinute);
    bucket.at = now;
    return bucket;
  }

  /** Drops the clients whose budget is full again (they lose nothing); at most once a second. */
  #forgetRefilled(now: number): void {
    if (now - this.#prunedAt < 1000) return;
    this.#prunedAt = now;
    for (const [client, bucket] of this.#buckets) {
      if (this.#refill(bucket, now).tokens >= this.burst) this.#buckets.delete(client);
    }
  }
}
