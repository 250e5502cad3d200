/**
 * The server's notion of "now". Tests move it forward instead of sleeping, so token TTLs and
 * wrapping-token expiry are checked without timed waits.
 */
export class Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
  }
}
