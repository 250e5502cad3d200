import type { Logger } from '@keygate/logging';
import { retry } from '@keygate/net';
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
  await retry(() => db.ping(), {
    attempts,
    initialMs: options.initialDelayMs ?? 250,
    maxMs: options.maxDelayMs ?? 5_000,
    retryable: (err) => err instanceof DatabaseError && !(err instanceof DatabaseAuthError) && !(err instanceof DatabaseMissingError),
    // One line per attempt: the cause's text only (a stack, and pino's cause chain that repeats
    // the message, say nothing more for a database that does not answer).
    onRetry: (err, { attempt, delayMs }) =>
      logger.warn({ attempt, attempts, target: db.target, error: (err as Error).message }, `database ${db.target} not reachable (${(err as Error).message}); attempt ${attempt} of ${attempts}, retrying in ${delayMs} ms`),
  });
}
