import type { Queryable } from '@keygate/db';

/**
 * A digest of a small table's rows: a change event (a hint anyone who can
 * connect to the database can send) is acted on only when the table really changed.
 */
export class TableVersion {
  #last: string | undefined;

  constructor(
    private readonly db: Queryable,
    private readonly table: 'vaults',
  ) {}

  /** True when the table differs from the last call (the first call records it and says true). */
  async changed(): Promise<boolean> {
    const { rows } = await this.db.query<{ v: string }>(
      // Whole rows, not updated_at: it has Kong's one-second precision, so a change in the same
      // second as the write before it would go unseen.
      `SELECT coalesce(md5(string_agg(t::text, ',' ORDER BY t.id)), '') AS v FROM ${this.table} t`,
    );
    const version = rows[0]?.v ?? '';
    const changed = version !== this.#last;
    this.#last = version;
    return changed;
  }
}

/**
 * Runs `fn` for a burst of calls at most twice: once now, once more after it if calls came in
 * meanwhile. Never two at once.
 */
export function serialised(fn: () => Promise<void>, onError: (err: unknown) => void): () => void {
  let running = false;
  let again = false;
  const run = async (): Promise<void> => {
    running = true;
    try {
      do {
        again = false;
        await fn().catch(onError);
      } while (again);
    } finally {
      running = false;
    }
  };
  return () => {
    if (running) again = true;
    else void run();
  };
}
