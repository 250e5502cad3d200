/**
 * Database failures as values with stable codes. Only `libs/http` turns them into HTTP
 * statuses; domain code catches the class it can handle (a unique violation, say) and lets
 * the rest through.
 */
export class DatabaseError extends Error {
  readonly code: string = 'DB_ERROR';
  /** PostgreSQL SQLSTATE, when the server sent one. */
  readonly sqlState: string | undefined;
  /** `host:port/database as user` of the database that failed, for messages (set by `Database`). */
  target: string | undefined;

  constructor(message: string, options: { cause?: unknown; sqlState?: string } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.sqlState = options.sqlState;
  }
}

/** 23505: a UNIQUE or PRIMARY KEY constraint refused the write. */
export class UniqueViolationError extends DatabaseError {
  override readonly code = 'DB_UNIQUE_VIOLATION';
  constructor(
    readonly table: string | undefined,
    readonly constraint: string | undefined,
    options: { cause?: unknown } = {},
  ) {
    super(`unique violation on ${table ?? '?'} (${constraint ?? '?'})`, { ...options, sqlState: '23505' });
  }
}

/** 23503: the row references a missing row, or is referenced by rows that still exist. */
export class ForeignKeyViolationError extends DatabaseError {
  override readonly code = 'DB_FOREIGN_KEY_VIOLATION';
  constructor(
    readonly table: string | undefined,
    readonly constraint: string | undefined,
    options: { cause?: unknown } = {},
  ) {
    super(`foreign key violation on ${table ?? '?'} (${constraint ?? '?'})`, { ...options, sqlState: '23503' });
  }
}

/** The server cannot be reached, went away, or refused new connections. */
export class DatabaseUnavailableError extends DatabaseError {
  override readonly code = 'DB_UNAVAILABLE';
}

/** A query or a wait for a connection took longer than `pg_timeout` / `pg_semaphore_timeout`. */
export class DatabaseTimeoutError extends DatabaseError {
  override readonly code = 'DB_TIMEOUT';
}

/** More queries are waiting for a connection than `pg_backlog` allows. */
export class DatabaseBusyError extends DatabaseError {
  override readonly code = 'DB_BUSY';
}

/** The server rejected the credentials (28P01, 28000). */
export class DatabaseAuthError extends DatabaseError {
  override readonly code = 'DB_AUTH_FAILED';
}

/** The configured database does not exist (3D000). */
export class DatabaseMissingError extends DatabaseError {
  override readonly code = 'DB_MISSING';
}

/** A statement in the transaction failed (its caller caught the error) and the COMMIT rolled it all back. */
export class TransactionAbortedError extends DatabaseError {
  override readonly code = 'DB_TRANSACTION_ABORTED';
  constructor() {
    super('the transaction was rolled back: a statement in it failed', { sqlState: '25P02' });
  }
}

interface PgLikeError {
  code?: string;
  message?: string;
  table?: string;
  constraint?: string;
}

const UNAVAILABLE_NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN']);
const UNAVAILABLE_MESSAGES = [/Connection terminated/i, /Client has encountered a connection error/i, /the database system is (starting up|shutting down)/i];
const TIMEOUT_MESSAGES = [/timeout exceeded when trying to connect/i, /Query read timeout/i, /Connection terminated due to connection timeout/i];

/** Maps a pg driver error to one of the classes above; anything else becomes `DatabaseError`. */
export function mapPgError(err: unknown): DatabaseError {
  if (err instanceof DatabaseError) return err;
  const e = (err ?? {}) as PgLikeError;
  const message = e.message ?? String(err);
  const code = e.code;
  if (code === '23505') return new UniqueViolationError(e.table, e.constraint, { cause: err });
  if (code === '23503') return new ForeignKeyViolationError(e.table, e.constraint, { cause: err });
  if (code === '57014') return new DatabaseTimeoutError('query cancelled after pg_timeout', { cause: err, sqlState: code });
  if (code === '28P01' || code === '28000') return new DatabaseAuthError(message, { cause: err, sqlState: code });
  if (code === '3D000') return new DatabaseMissingError(message, { cause: err, sqlState: code });
  if (code !== undefined && (code.startsWith('08') || code.startsWith('57P') || code === '53300')) {
    return new DatabaseUnavailableError(message, { cause: err, sqlState: code });
  }
  if (TIMEOUT_MESSAGES.some((re) => re.test(message)) || code === 'ETIMEDOUT') {
    return new DatabaseTimeoutError(message, { cause: err });
  }
  if ((code !== undefined && UNAVAILABLE_NET_CODES.has(code)) || UNAVAILABLE_MESSAGES.some((re) => re.test(message))) {
    return new DatabaseUnavailableError(message, { cause: err });
  }
  return new DatabaseError(message, { cause: err, ...(code && /^[0-9A-Z]{5}$/.test(code) ? { sqlState: code } : {}) });
}
