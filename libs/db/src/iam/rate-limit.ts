/**
 * How much the time from a grant to the server counting the connection (sending the password,
 * the server reading and checking it) may vary between connections without the server seeing
 * more than the rate in any one second: grants are spaced over a window this much longer than a
 * second. 250 ms was seen to be too little on a loaded 2-core machine (104 in one second for a
 * limit of 100); a storm of new connections then runs at up to 2/3 of the rate, which is the price
 * of never being throttled by RDS.
 */
export const SETUP_JITTER_GUARD_MS = 500;

/**
 * At most `perSecond` new connections in any window of 1 s + `SETUP_JITTER_GUARD_MS` (a sliding
 * window of the last grants, so no burst can exceed the rate, whichever second one looks at, and
 * the server, which counts connections when they arrive rather than when they were granted, sees
 * no more either). A pool storm waits instead of exceeding the RDS limit on new IAM
 * authentications; callers are served in order.
 */
export class ConnectionRateLimiter {
  readonly #granted: number[] = [];
  readonly #windowMs: number;
  #queue: Promise<void> = Promise.resolve();

  constructor(
    readonly perSecond: number,
    guardMs = SETUP_JITTER_GUARD_MS,
  ) {
    this.#windowMs = 1000 + guardMs;
  }

  acquire(): Promise<void> {
    const turn = this.#queue.then(() => this.#take());
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  async #take(): Promise<void> {
    for (;;) {
      const now = Date.now();
      while (this.#granted.length > 0 && (this.#granted[0] as number) <= now - this.#windowMs) this.#granted.shift();
      if (this.#granted.length < this.perSecond) {
        this.#granted.push(now);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, (this.#granted[0] as number) + this.#windowMs + 1 - now));
    }
  }
}
