import pg from 'pg';
import type { Logger } from '@keygate/logging';
import { DatabaseAuthError, DatabaseUnavailableError, mapPgError, TransactionAbortedError } from './errors';
import { QuerySemaphore } from './semaphore';
import { describeTarget, type ConnectionSettings } from './settings';

export type Row = Record<string, unknown>;

/** What both a pool and a transaction can do. */
export interface Queryable {
  query<R extends Row = Row>(text: string, values?: readonly unknown[]): Promise<pg.QueryResult<R>>;
}

/** The connection `Database.transaction` gives its callback. */
export interface Transaction extends Queryable {
  /**
   * Writes whose results the transaction does not need: the COMMIT goes out right behind them
   * (pipelined, in the same round trip) and waits for them. If one fails, nothing commits and the
   * transaction throws that write's error.
   */
  commitWith(writes: Promise<unknown>): void;
}

export interface DatabaseOptions {
  readonly settings: ConnectionSettings;
  readonly logger: Logger;
  /** Shown in `pg_stat_activity` as `keygate-<app>`. */
  readonly app: string;
  /** Server-side statement timeout; defaults to `pg_timeout`. 0 disables it (migrations). */
  readonly statementTimeoutMs?: number;
}

export interface DatabaseStats {
  readonly role: string;
  readonly total: number;
  readonly idle: number;
  readonly waiting: number;
  readonly queries: number;
}

/**
 * A pg pool with Kong's limits, timeouts on everything, errors mapped to typed values, and a
 * query counter (the proxy proves with it that no request touches the database).
 */
export class Database implements Queryable {
  readonly #pool: pg.Pool;
  readonly #semaphore: QuerySemaphore;
  readonly #logger: Logger;
  #queries = 0;
  #closed: Promise<void> | undefined;

  constructor(readonly options: DatabaseOptions) {
    const { settings } = options;
    this.#logger = options.logger.child({ db: settings.role });
    const statementTimeout = options.statementTimeoutMs ?? settings.timeoutMs;
    this.#pool = new pg.Pool({
      ...this.#clientConfig(),
      Client: ClosingClient,
      password: () => this.#password(),
      max: settings.poolSize,
      idleTimeoutMillis: settings.idleTimeoutMs,
      // Queries issued together on one connection go out together (node-postgres pipelining):
      // independent writes in a transaction cost one round trip, not one each. Each query keeps
      // its own result and error; a failed one aborts the transaction, so nothing after it commits.
      pipeline: true,
      // The server cancels a statement after pg_timeout; the client gives up a little later in
      // case the server is unreachable and cannot even cancel.
      ...(statementTimeout > 0 ? { statement_timeout: statementTimeout, query_timeout: statementTimeout + 1000 } : {}),
    });
    // An idle client whose server went away emits here; without a listener it would crash the
    // process. The pool drops that client and opens a new one on the next query.
    this.#pool.on('error', (err) => {
      this.#logger.warn({ err: mapPgError(err) }, 'idle database connection lost');
    });
    this.#semaphore = new QuerySemaphore(settings.poolSize, settings.semaphoreTimeoutMs, settings.backlog);
  }

  get target(): string {
    return describeTarget(this.options.settings);
  }

  async query<R extends Row = Row>(text: string, values?: readonly unknown[]): Promise<pg.QueryResult<R>> {
    this.#assertOpen();
    const release = await this.#semaphore.acquire();
    this.#queries++;
    try {
      return await this.#pool.query<R>(text, values as unknown[]);
    } catch (err) {
      const mapped = mapPgError(err);
      mapped.target ??= this.target;
      throw mapped;
    } finally {
      release();
    }
  }

  /**
   * Runs `fn` in one transaction on one connection: COMMIT when it resolves, ROLLBACK when it
   * throws. Nothing is half-written. `advisoryLock`: a transaction-scoped advisory lock taken
   * with BEGIN, in the same round trip. Queries `fn` issues together (`Promise.all`) are
   * pipelined: sent at once, answered in order, one round trip.
   */
  async transaction<T>(fn: (tx: Transaction) => Promise<T>, options: { advisoryLock?: number } = {}): Promise<T> {
    this.#assertOpen();
    const release = await this.#semaphore.acquire();
    let client: pg.PoolClient | undefined;
    let broken = false;
    let releaseListener = () => undefined as void;
    try {
      client = await this.#pool.connect().catch((err: unknown) => {
        throw mapPgError(err);
      });
      // A checked-out client whose connection dies between queries emits 'error'; the pool only
      // listens on idle clients, so without this the process would crash. The next query fails.
      const connection = client;
      const onError = (err: Error) => {
        broken = true;
        this.#logger.warn({ err: mapPgError(err) }, 'database connection lost inside a transaction');
      };
      connection.on('error', onError);
      releaseListener = () => connection.off('error', onError);
      const withCommit: Array<Promise<unknown>> = [];
      const tx: Transaction = {
        query: async <R extends Row = Row>(text: string, values?: readonly unknown[]) => {
          this.#queries++;
          try {
            return await client!.query<R>(text, values as unknown[]);
          } catch (err) {
            throw mapPgError(err);
          }
        },
        commitWith: (writes) => {
          // Awaited below, or dropped with a rollback: never an unhandled rejection.
          writes.catch(() => undefined);
          withCommit.push(writes);
        },
      };
      const lock = options.advisoryLock;
      if (lock !== undefined && !Number.isSafeInteger(lock)) throw new TypeError('advisoryLock must be an integer');
      // No parameters: one simple-protocol query may hold both statements.
      await tx.query(lock === undefined ? 'BEGIN' : `BEGIN; SELECT pg_advisory_xact_lock(${lock})`);
      try {
        const result = await fn(tx);
        // PostgreSQL answers COMMIT in a transaction a failed statement aborted with ROLLBACK, not
        // an error: a caller that caught that statement's error must not be told it committed.
        const commit = tx.query('COMMIT');
        commit.catch(() => undefined);
        await Promise.all(withCommit);
        const committed = await commit;
        if (committed.command !== 'COMMIT') throw new TransactionAbortedError();
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw err;
      }
    } finally {
      releaseListener();
      client?.release(broken);
      release();
    }
  }

  /**
   * A connection of its own, outside the pool and its limits (advisory locks, LISTEN). The
   * caller ends it. Connecting is bounded by `pg_timeout`.
   */
  /** A connection outside the pool; `purpose` is added to its `application_name` (`keygate-admin-listen`). */
  async newClient(purpose?: string): Promise<pg.Client> {
    this.#assertOpen();
    const config = this.#clientConfig();
    const client = new pg.Client({
      ...config,
      ...(purpose ? { application_name: `${config.application_name}-${purpose}` } : {}),
      password: () => this.#password(),
    });
    client.on('error', (err) => this.#logger.warn({ err: mapPgError(err) }, 'dedicated database connection lost'));
    try {
      await client.connect();
      return client;
    } catch (err) {
      await client.end().catch(() => undefined);
      throw mapPgError(err);
    }
  }

  /**
   * pg asks only when the server wants a password: without one, say which setting is unset
   * (pg's own text is `SASL: ... client password must be a non-empty string`).
   */
  async #password(): Promise<string> {
    const { settings } = this.options;
    const password = (await settings.password())?.reveal() ?? '';
    if (password === '') {
      const key = settings.role === 'ro' ? 'pg_ro_password' : 'pg_password';
      throw new DatabaseAuthError(`${key} is unset, and the server at ${settings.host}:${settings.port} requires a password for user "${settings.user}"`);
    }
    return password;
  }

  #clientConfig(): pg.ClientConfig {
    const { settings } = this.options;
    return {
      host: settings.host,
      port: settings.port,
      user: settings.user,
      database: settings.database,
      ssl: settings.ssl === false ? false : settings.ssl,
      connectionTimeoutMillis: settings.timeoutMs,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      application_name: `keygate-${this.options.app}`,
      ...(settings.schema ? { options: `-c search_path=${quoteIdent(settings.schema)}` } : {}),
    };
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  stats(): DatabaseStats {
    return {
      role: this.options.settings.role,
      total: this.#pool.totalCount,
      idle: this.#pool.idleCount,
      waiting: this.#semaphore.waiting,
      queries: this.#queries,
    };
  }

  /** Closes every connection; safe to call twice. */
  close(): Promise<void> {
    this.#closed ??= this.#pool.end().catch((err: unknown) => {
      this.#logger.warn({ err: mapPgError(err) }, 'error while closing the database pool');
    });
    return this.#closed;
  }

  #assertOpen(): void {
    if (this.#closed) throw new DatabaseUnavailableError('database pool is closed');
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * A pg client that closes its socket when connecting fails. pg leaves the connection open when
 * the password cannot be had (an IAM token that cannot be signed: IMDS refused, STS unreachable),
 * and pg-pool drops such a client without ending it, so the socket kept the process alive after
 * the command had printed its error.
 */
class ClosingClient extends pg.Client {
  override connect(): Promise<pg.Client>;
  override connect(callback: (err: Error) => void): void;
  override connect(callback?: (err: Error) => void): Promise<pg.Client> | void {
    const close = () => (this as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
    if (!callback) {
      return super.connect().catch((err: unknown) => {
        close();
        throw err;
      });
    }
    super.connect((err: Error) => {
      if (err) close();
      callback(err);
    });
  }
}
