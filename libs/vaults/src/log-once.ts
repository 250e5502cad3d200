/**
 * Remembers when it last allowed a message per key, so a failing reference asked for in a loop
 * logs once per interval instead of flooding the log.
 */
export class LogOnce {
  readonly #last = new Map<string, number>();

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when `key` has not been logged within the interval (and records it). */
  allow(key: string): boolean {
    const now = this.now();
    const last = this.#last.get(key);
    if (last !== undefined && now - last < this.intervalMs) return false;
    this.#last.set(key, now);
    if (this.#last.size > 10_000) this.#last.clear();
    return true;
  }

  reset(key: string): void {
    this.#last.delete(key);
  }
}
