/**
 * A stand-in server's notion of "now". Tests move it forward instead of sleeping, so expiry
 * (temporary credentials, presigned URLs, tokens, TTLs) is checked without timed waits.
 */
export class Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  /** Moves the clock forward (or back, with a negative value) by `seconds`. */
  advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
  }

  /** Puts the clock back to the machine's time. */
  reset(): void {
    this.offsetMs = 0;
  }
}
