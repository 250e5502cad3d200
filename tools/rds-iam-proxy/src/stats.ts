/** New IAM authentications per second (what RDS throttles at about 200/s), overall and per user. */
export class AuthRate {
  readonly #perSecond = new Map<string, number>();
  accepted = 0;
  refused = 0;

  record(ok: boolean, user = ''): void {
    const second = Math.floor(Date.now() / 1000);
    for (const key of [`${second}`, `${second}|${user}`]) this.#perSecond.set(key, (this.#perSecond.get(key) ?? 0) + 1);
    if (ok) this.accepted++;
    else this.refused++;
    for (const key of this.#perSecond.keys()) if (Number(key.split('|')[0]) < second - 600) this.#perSecond.delete(key);
  }

  /** The highest number of authentications seen within one wall-clock second (of `user`, if given). */
  maxPerSecond(user?: string): number {
    const counts = [...this.#perSecond.entries()].filter(([key]) => (user === undefined ? !key.includes('|') : key.endsWith(`|${user}`))).map(([, n]) => n);
    return Math.max(0, ...counts);
  }

  toJSON(): Record<string, number> {
    return { accepted: this.accepted, refused: this.refused, max_per_second: this.maxPerSecond() };
  }
}
