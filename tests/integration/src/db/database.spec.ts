import { createServer, type Server } from 'node:net';
import { loadConfig } from '@keygate/config';
import {
  Database,
  DatabaseBusyError,
  DatabaseTimeoutError,
  DatabaseUnavailableError,
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
