import { randomBytes, randomUUID } from 'node:crypto';
import { encryptField, type DataKey } from '@keygate/crypto';
import pg from 'pg';
import { loadConfig } from '@keygate/config';
import { Database, MIGRATIONS, Migrator, TABLES, connectionSettings, quoteIdent } from '@keygate/db';
import { silentLogger } from '@keygate/logging';
import { testServices } from './services';

async function adminQuery(sql: string): Promise<void> {
  const { pg: server } = testServices();
  const client = new pg.Client({ ...server, database: 'postgres', connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`PostgreSQL at ${server.host}:${server.port} is not reachable as ${server.user} (${(err as Error).message}); start it (see DEVELOPERS.md)`);
  }
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A database of its own for one test file: created empty (optionally migrated), dropped at the
 * end, so test files run in parallel without seeing each other's rows.
 */
export class TestDatabase {
  #pool: Database | undefined;
  readonly #attackers: pg.Client[] = [];
  readonly #roles: string[] = [];

  private constructor(readonly name: string) {}

  static async create(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
    const name = `kgtest_${randomBytes(6).toString('hex')}`;
    await adminQuery(`CREATE DATABASE ${quoteIdent(name)}`);
    const database = new TestDatabase(name);
    if (options.migrate ?? true) await database.migrate();
    return database;
  }

  /** Settings (kong.conf keys) that point a node at this database. */
  settings(): Record<string, string> {
    const { pg: server } = testServices();
    return {
      pg_host: server.host,
      pg_port: String(server.port),
      pg_user: server.user,
      pg_database: this.name,
      ...(server.password ? { pg_password: server.password } : {}),
    };
  }

  /** The same as `KONG_*` variables, for spawned processes. */
  env(): Record<string, string> {
    return Object.fromEntries(Object.entries(this.settings()).map(([k, v]) => [`KONG_${k.toUpperCase()}`, v]));
  }

  /** A pool on this database (created on first use, closed by `drop()`). */
  async db(): Promise<Database> {
    if (!this.#pool) {
      const { config } = await loadConfig({ env: {}, defaultPaths: [], overrides: this.settings() });
      this.#pool = new Database({ settings: connectionSettings(config, 'rw')!, logger: silentLogger(), app: 'test' });
    }
    return this.#pool;
  }

  async migrator(): Promise<Migrator> {
    return new Migrator({ db: await this.db(), logger: silentLogger(), migrations: MIGRATIONS, tables: TABLES });
  }

  async migrate(): Promise<void> {
    await (await this.migrator()).bootstrap();
  }

  /**
   * `count` consumers named `<label>-<i>`, each with a basic-auth credential whose password (a
   * Kong SHA-1 hash) is encrypted under `key`, written in one statement per table and per 10,000
   * rows (seeding re-encryption tests and benchmarks). Returns the credential ids.
   */
  async seedBasicAuth(count: number, key: DataKey, label: string): Promise<string[]> {
    const all: string[] = [];
    for (let done = 0; done < count; done += 10_000) {
      const consumers: string[] = [];
      const creds: string[] = [];
      const names: string[] = [];
      const passwords: string[] = [];
      for (let i = done; i < Math.min(count, done + 10_000); i++) {
        const cred = randomUUID();
        consumers.push(randomUUID());
        creds.push(cred);
        names.push(`${label}-${i}`);
        passwords.push(encryptField('0'.repeat(40), key, { table: 'basicauth_credentials', field: 'password', id: cred }));
      }
      await this.query('INSERT INTO consumers (id, created_at, updated_at, username) SELECT id, now(), now(), n FROM unnest($1::uuid[], $2::text[]) AS t(id, n)', [consumers, names]);
      await this.query(
        'INSERT INTO basicauth_credentials (id, created_at, consumer_id, username, password) SELECT id, now(), c, n, p FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[]) AS t(id, c, n, p)',
        [creds, consumers, names, passwords],
      );
      all.push(...creds);
    }
    return all;
  }

  async query<R extends Record<string, unknown> = Record<string, unknown>>(sql: string, values?: unknown[]): Promise<R[]> {
    return (await (await this.db()).query<R>(sql, values)).rows;
  }

  /**
   * A connection as an attacker who holds only a database login: a role of its own with
   * `CONNECT` on this database and, with `tables: 'write'`, read and write on every table (a
   * leaked application credential). It can LISTEN, NOTIFY and, if allowed, edit rows, but holds
   * no cluster secret, recovery key or Admin API access. Closed and dropped by `drop()`.
   */
  async attacker(options: { tables?: 'none' | 'write' } = {}): Promise<pg.Client> {
    const { pg: server } = testServices();
    const role = `${this.name}_attacker_${this.#attackers.length}`;
    const password = randomBytes(12).toString('hex');
    await adminQuery(`CREATE ROLE ${quoteIdent(role)} LOGIN PASSWORD '${password}'`);
    await adminQuery(`GRANT CONNECT ON DATABASE ${quoteIdent(this.name)} TO ${quoteIdent(role)}`);
    this.#roles.push(role);
    if (options.tables === 'write') {
      await this.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${quoteIdent(role)}`);
    }
    const client = new pg.Client({ host: server.host, port: server.port, user: role, password, database: this.name, connectionTimeoutMillis: 5000 });
    await client.connect();
    client.on('error', () => undefined);
    this.#attackers.push(client);
    return client;
  }

  async drop(): Promise<void> {
    await Promise.all(this.#attackers.splice(0).map((c) => c.end().catch(() => undefined)));
    await this.#pool?.close();
    this.#pool = undefined;
    await adminQuery(`DROP DATABASE IF EXISTS ${quoteIdent(this.name)} WITH (FORCE)`);
    for (const role of this.#roles.splice(0)) await adminQuery(`DROP ROLE IF EXISTS ${quoteIdent(role)}`);
  }
}

/** Registers `beforeAll`/`afterAll` for a database of this test file; call `get()` in tests. */
export function useTestDatabase(options: { migrate?: boolean } = {}): { get(): TestDatabase } {
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = await TestDatabase.create(options);
  });
  afterAll(async () => {
    await database?.drop();
  });
  return {
    get() {
      if (!database) throw new Error('the test database is created in beforeAll; use it inside tests');
      return database;
    },
  };
}
