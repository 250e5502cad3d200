import { connect, createServer, type Server, type Socket } from 'node:net';
import { loadConfig } from '@keygate/config';
import {
  Database,
  DatabaseBusyError,
  DatabaseTimeoutError,
  DatabaseUnavailableError,
  TransactionAbortedError,
  UniqueViolationError,
  connectionSettings,
} from '@keygate/db';
import { memoryLogger, silentLogger } from '@keygate/logging';
import { plantedSecret, useTestDatabase } from '@keygate/testing';

const database = useTestDatabase({ migrate: false });

async function pool(overrides: Record<string, string> = {}): Promise<Database> {
  const { config } = await loadConfig({ env: {}, defaultPaths: [], overrides: { ...database.get().settings(), ...overrides } });
  return new Database({ settings: connectionSettings(config, 'rw')!, logger: silentLogger(), app: 'test' });
}

/**
 * A TCP proxy in front of PostgreSQL that can hold the server's answers back: while it does, a
 * client that waits for each answer sends one statement, a pipelining client sends them all.
 */
async function holdingProxy() {
  let holding = false;
  const held: Array<() => void> = [];
  const sockets = new Set<Socket>();
  const proxy = createServer((client: Socket) => {
    const server = connect(Number(database.get().settings().pg_port), database.get().settings().pg_host);
    for (const s of [client, server]) sockets.add(s);
    client.pipe(server);
    server.on('data', (chunk: Buffer) => (holding ? held.push(() => client.write(chunk)) : client.write(chunk)));
    server.on('close', () => client.destroy());
    client.on('close', () => server.destroy());
    client.on('error', () => server.destroy());
    server.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    port: (proxy.address() as { port: number }).port,
    hold: () => (holding = true),
    release: () => {
      holding = false;
      for (const write of held.splice(0)) write();
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    },
  };
}

/** Runs `fn` with a pool whose connections go through a holding proxy, and an observer pool; closes all. */
async function throughHeldWire(fn: (db: Database, observer: Database, wire: Awaited<ReturnType<typeof holdingProxy>>) => Promise<void>): Promise<void> {
  const wire = await holdingProxy();
  const db = await pool({ pg_host: '127.0.0.1', pg_port: String(wire.port) });
  const observer = await pool();
  try {
    await fn(db, observer, wire);
  } finally {
    wire.release();
    await db.close();
    await observer.close();
    await wire.close();
  }
}

/** The last statement the server ran for the connection named `applicationName`, once `ok` (3 s at most). */
async function lastStatement(observer: Database, applicationName: string, ok: (query: string) => boolean): Promise<string> {
  const deadline = Date.now() + 3_000;
  for (;;) {
    const query = (await observer.query<{ query: string }>('SELECT query FROM pg_stat_activity WHERE application_name = $1', [applicationName])).rows[0]?.query ?? '';
    if (ok(query) || Date.now() > deadline) return query;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('Database', () => {
  it('maps a unique violation to UniqueViolationError with its constraint', async () => {
    const db = await pool();
    await db.query('CREATE TABLE things (name text UNIQUE)');
    await db.query("INSERT INTO things VALUES ('a')");
    await expect(db.query("INSERT INTO things VALUES ('a')")).rejects.toMatchObject({
      constructor: UniqueViolationError,
      constraint: 'things_name_key',
      table: 'things',
    });
    await db.close();
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    const db = await pool();
    await db.query('CREATE TABLE ledger (n int)');
    await db.transaction(async (tx) => {
      await tx.query('INSERT INTO ledger VALUES (1)');
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO ledger VALUES (2)');
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect((await db.query('SELECT n FROM ledger')).rows).toEqual([{ n: 1 }]);
    await db.close();
  });

  it("sends a transaction's queries issued together at once (pipelined), without waiting for each answer", () =>
    throughHeldWire(async (db, observer, wire) => {
      await db.query('CREATE TABLE piped (n int)');
      await db.transaction(async (tx) => {
        await tx.query("SELECT set_config('application_name', 'piped-tx', false)");
        wire.hold();
        const writes = Promise.all([1, 2, 3].map((n) => tx.query(`INSERT INTO piped VALUES (${n}) /* write ${n} */`)));
        // The server ran all three while their answers were held back.
        expect(await lastStatement(observer, 'piped-tx', (q) => q.includes('write 3'))).toContain('write 3');
        wire.release();
        await writes;
      });
      expect((await db.query('SELECT n FROM piped ORDER BY n')).rows).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    }));

  it('sends writes given to commitWith and the COMMIT together, and commits them', () =>
    throughHeldWire(async (db, observer, wire) => {
      await db.query('CREATE TABLE with_commit (n int)');
      const done = db.transaction(async (tx) => {
        await tx.query("SELECT set_config('application_name', 'with-commit', false)");
        wire.hold();
        tx.commitWith(Promise.all([tx.query('INSERT INTO with_commit VALUES (1)'), tx.query('INSERT INTO with_commit VALUES (2)')]));
        return 'returned';
      });
      // The COMMIT ran on the server while the writes' answers were still held back.
      expect(await lastStatement(observer, 'with-commit', (q) => q === 'COMMIT')).toBe('COMMIT');
      expect((await observer.query('SELECT n FROM with_commit ORDER BY n')).rows).toEqual([{ n: 1 }, { n: 2 }]);
      wire.release();
      await expect(done).resolves.toBe('returned');
    }));

  it('commits nothing when a write given to commitWith fails, and throws its error', async () => {
    const db = await pool();
    await db.query('CREATE TABLE with_commit_unique (name text UNIQUE)');
    await db.query("INSERT INTO with_commit_unique VALUES ('taken')");
    await expect(
      db.transaction(async (tx) => {
        await tx.query("INSERT INTO with_commit_unique VALUES ('first')");
        tx.commitWith(Promise.all([tx.query("INSERT INTO with_commit_unique VALUES ('taken')"), tx.query("INSERT INTO with_commit_unique VALUES ('b')")]));
      }),
    ).rejects.toBeInstanceOf(UniqueViolationError);
    expect((await db.query('SELECT name FROM with_commit_unique')).rows).toEqual([{ name: 'taken' }]);
    // The connection went back to the pool clean: the next transaction commits.
    await db.transaction(async (tx) => {
      await tx.query("INSERT INTO with_commit_unique VALUES ('after')");
    });
    expect((await db.query('SELECT count(*)::int AS n FROM with_commit_unique')).rows).toEqual([{ n: 2 }]);
    await db.close();
  });

  it('commits nothing when one of the pipelined writes fails, and reports that write\'s error', async () => {
    const db = await pool();
    await db.query('CREATE TABLE unique_names (name text UNIQUE)');
    await db.query("INSERT INTO unique_names VALUES ('taken')");
    await expect(
      db.transaction((tx) => Promise.all([tx.query("INSERT INTO unique_names VALUES ('a')"), tx.query("INSERT INTO unique_names VALUES ('taken')"), tx.query("INSERT INTO unique_names VALUES ('b')")])),
    ).rejects.toBeInstanceOf(UniqueViolationError);
    expect((await db.query('SELECT name FROM unique_names ORDER BY name')).rows).toEqual([{ name: 'taken' }]);
    await db.close();
  });

  it('does not report a commit when a statement failed and its caller caught the error (PostgreSQL rolled it all back)', async () => {
    const db = await pool();
    await db.query('CREATE TABLE swallowed (n int PRIMARY KEY)');
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO swallowed VALUES (1)');
        await tx.query('INSERT INTO swallowed VALUES (1)').catch(() => undefined);
      }),
    ).rejects.toBeInstanceOf(TransactionAbortedError);
    expect((await db.query('SELECT count(*)::int AS n FROM swallowed')).rows).toEqual([{ n: 0 }]);
    await db.close();
  });

  it('cancels a statement running longer than pg_timeout', async () => {
    const db = await pool({ pg_timeout: '200' });
    const started = Date.now();
    await expect(db.query('SELECT pg_sleep(5)')).rejects.toBeInstanceOf(DatabaseTimeoutError);
    expect(Date.now() - started).toBeLessThan(4000);
    await db.close();
  });

  it('fails fast with DatabaseUnavailableError when nothing listens', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise((resolve) => server.close(resolve));
    const db = await pool({ pg_port: String(port) });
    await expect(db.query('SELECT 1')).rejects.toBeInstanceOf(DatabaseUnavailableError);
    await db.close();
  });

  it('fails with a timeout, not a hang, when the server accepts but never answers', async () => {
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const db = await pool({ pg_port: String((silent.address() as { port: number }).port), pg_timeout: '300' });
    await expect(db.query('SELECT 1')).rejects.toBeInstanceOf(DatabaseTimeoutError);
    await db.close();
    silent.close();
  });

  it('refuses queries beyond pg_backlog instead of queueing without bound', async () => {
    const db = await pool({ pg_max_concurrent_queries: '1', pg_backlog: '1' });
    const slow = db.query('SELECT pg_sleep(0.5)');
    const queued = db.query('SELECT 1');
    await expect(db.query('SELECT 2')).rejects.toBeInstanceOf(DatabaseBusyError);
    await Promise.all([slow, queued]);
    await db.close();
  });

  it('counts queries, and close() is idempotent', async () => {
    const db = await pool();
    const before = db.stats().queries;
    await db.ping();
    expect(db.stats().queries).toBe(before + 1);
    await db.close();
    await db.close();
    await expect(db.query('SELECT 1')).rejects.toBeInstanceOf(DatabaseUnavailableError);
  });

  it('never puts the password in its errors or logs', async () => {
    const secret = plantedSecret('pg-password');
    const { logger, lines } = memoryLogger();
    const { config } = await loadConfig({ env: {}, defaultPaths: [], overrides: { ...database.get().settings(), pg_password: secret, pg_database: 'no_such_db_x' } });
    const db = new Database({ settings: connectionSettings(config, 'rw')!, logger, app: 'test' });
    const err = await db.query('SELECT 1').catch((e: unknown) => e as Error);
    expect(String(err)).not.toContain(secret);
    expect(JSON.stringify(err)).not.toContain(secret);
    expect(lines.join('\n')).not.toContain(secret);
    await db.close();
  });
});
