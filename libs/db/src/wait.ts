import type { Logger } from '@keygate/logging';
import type { Database } from './database';
import { DatabaseAuthError, DatabaseError, DatabaseMissingError } from './errors';

export interface WaitOptions {
  readonly attempts?: number;
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
}

/**
 * Waits for the database at start-up with capped exponential backoff (bounded attempts).
 * Errors no retry can fix (bad credentials, missing database) fail at once.
 */
export async function waitForDatabase(db: Database, logger: Logger, options: WaitOptions = {}): Promise<void> {
  const attempts = options.attempts ?? 10;
  let delay = options.initialDelayMs ?? 250;
  for (let attempt = 1; ; attempt++) {
    try {
      await db.ping();
      return;
    } catch (err) {
      const permanent = err instanceof DatabaseAuthError || err instanceof DatabaseMissingError;
      if (permanent || attempt >= attempts || !(err instanceof DatabaseError)) throw err;
      logger.warn({ err, attempt, attempts, target: db.target }, `database not reachable; retrying in ${delay} ms`);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, options.maxDelayMs ?? 5_000);
    }
  }
}
