/**
 * The emulator's notion of "now". Tests move it forward instead of sleeping, so expiry of
 * temporary credentials, presigned URLs and IMDS tokens is checked without timed waits.
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

/** `2024-01-02T03:04:05Z`: the ISO form AWS uses in XML and IMDS documents (no milliseconds). */
export function isoSeconds(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** JSON 1.1 protocols send timestamps as epoch seconds (with a fraction). */
export function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}
