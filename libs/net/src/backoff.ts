/** Capped exponential backoff, the one schedule every retry and reconnect loop uses. */
export interface BackoffOptions {
  /** The first delay, in ms; each later one doubles. @defaultValue 100 */
  readonly initialMs?: number;
  /** The largest delay, in ms. @defaultValue 10_000 */
  readonly maxMs?: number;
  /**
   * Spreads each delay by up to ± this fraction (0.2: 80 % to 120 %), so many processes that lost
   * the same server do not all come back at the same moment. @defaultValue 0
   */
  readonly jitter?: number;
}

function checked(options: BackoffOptions): Required<BackoffOptions> {
  const resolved = { initialMs: options.initialMs ?? 100, maxMs: options.maxMs ?? 10_000, jitter: options.jitter ?? 0 };
  if (!(resolved.initialMs >= 0) || !(resolved.maxMs >= resolved.initialMs)) throw new RangeError(`backoff: needs 0 <= initialMs <= maxMs (got ${resolved.initialMs}, ${resolved.maxMs})`);
  if (!(resolved.jitter >= 0 && resolved.jitter < 1)) throw new RangeError(`backoff: jitter must be in [0, 1) (got ${resolved.jitter})`);
  return resolved;
}

/** The delay before retry number `attempt` (0 for the first retry): `initialMs * 2^attempt`, capped, jittered. */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const { initialMs, maxMs, jitter } = checked(options);
  const base = Math.min(initialMs * 2 ** Math.max(0, attempt), maxMs);
  return jitter === 0 ? base : Math.round(base * (1 - jitter + Math.random() * 2 * jitter));
}

/** A backoff that grows with each failure and starts over after a success (`reset()`). */
export class Backoff {
  readonly #options: Required<BackoffOptions>;
  #attempt = 0;

  constructor(options: BackoffOptions = {}) {
    this.#options = checked(options);
  }

  /** Failures since the last reset. */
  get attempts(): number {
    return this.#attempt;
  }

  /** The delay to wait after this failure; the next one is twice as long (up to the cap). */
  next(): number {
    return backoffDelay(this.#attempt++, this.#options);
  }

  reset(): void {
    this.#attempt = 0;
  }
}

export interface RetryOptions extends BackoffOptions {
  /** Attempts in all, the first included. @defaultValue Infinity (until it succeeds) */
  readonly attempts?: number;
  /** Whether an error is worth another attempt; others are thrown at once. @defaultValue every error */
  readonly retryable?: (err: unknown) => boolean;
  /** Called before each wait, with the attempt that failed (1 for the first). */
  readonly onRetry?: (err: unknown, retry: { readonly attempt: number; readonly delayMs: number }) => void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `fn` until it succeeds, waiting with backoff between attempts; throws the last error. */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? Infinity;
  const backoff = new Backoff(options);
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= attempts || (options.retryable && !options.retryable(err))) throw err;
      const delayMs = backoff.next();
      options.onRetry?.(err, { attempt, delayMs });
      await sleep(delayMs);
    }
  }
}
