import { Migrator, MIGRATIONS, SchemaNotReadyError, TABLES, assertUpToDate, type Migration } from '@keygate/db';
import { silentLogger } from '@keygate/logging';
import { TestDatabase } from '@keygate/testing';

describe('Migrator', () => {
  let database: TestDatabase;

  beforeEach(async () => {
    database = await TestDatabase.create({ migrate: false });
  });
  afterEach(async () => {
    await database.drop();
  });

  const migrator = async (migrations: readonly Migration[] = MIGRATIONS, tables: readonly string[] = TABLES) =>
    new Migrator({ db: await database.db(), logger: silentLogger(), migrations, tables, lockTimeoutMs: 10_000 });

  const tablesInSchema = async () =>
    (await database.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).map((r) => r.tablename);

  it('bootstraps an empty database once, then reports it as bootstrapped', async () => {
    const m = await migrator();
    expect((await m.state()).needsBootstrap).toBe(true);
    expect(() => assertUpToDate({ needsBootstrap: true, executed: [], pending: MIGRATIONS, unknown: [], modified: [] })).toThrow(SchemaNotReadyError);
    const first = await m.bootstrap();
    expect(first).toEqual({ alreadyBootstrapped: false, executed: MIGRATIONS.map((x) => x.name) });
    expect(await m.bootstrap()).toEqual({ alreadyBootstrapped: true, executed: [] });
    const state = await m.state();
    expect(state.needsBootstrap).toBe(false);
    expect(state.pending).toEqual([]);
    assertUpToDate(state);
  });

  it("creates Kong's tables, and reset drops every one of them (the TABLES list is complete)", async () => {
    const m = await migrator();
    await m.bootstrap();
    expect(await tablesInSchema()).toEqual([...TABLES, 'schema_meta'].sort());
    expect(await m.reset()).toBe(true);
    expect(await tablesInSchema()).toEqual([]);
    expect(await m.reset()).toBe(false);
  });

  it('serialises concurrent migrators with the advisory lock: one bootstraps, the others find it done', async () => {
    const runs = await Promise.all([migrator(), migrator(), migrator()].map(async (m) => (await m).bootstrap()));
    expect(runs.filter((r) => !r.alreadyBootstrapped)).toHaveLength(1);
    expect(runs.filter((r) => r.alreadyBootstrapped)).toHaveLength(2);
    const executed = await database.query('SELECT name FROM schema_meta');
    expect(executed).toHaveLength(MIGRATIONS.length);
  });

  it('runs new migrations with up, and reports pending, unknown and edited migrations', async () => {
    const extra: Migration = { name: '999_extra', sql: 'CREATE TABLE extra_table (id int)' };
    await (await migrator()).bootstrap();
    const newer = await migrator([...MIGRATIONS, extra], [...TABLES, 'extra_table']);
    expect((await newer.state()).pending.map((x) => x.name)).toEqual(['999_extra']);
    expect(() => assertUpToDate({ needsBootstrap: false, executed: [], pending: [extra], unknown: [], modified: [] })).toThrow(
      "run 'keygate migrations up'",
    );
    expect(await newer.up()).toEqual({ executed: ['999_extra'] });
    expect(await newer.up()).toEqual({ executed: [] });
    const older = await migrator();
    expect((await older.state()).unknown).toEqual(['999_extra']);
    const edited = await migrator([...MIGRATIONS, { ...extra, sql: 'CREATE TABLE extra_table (id bigint)' }]);
    expect((await edited.state()).modified).toEqual(['999_extra']);
  });

  it('rolls back a failing migration completely and records nothing', async () => {
    const broken: Migration = { name: '999_broken', sql: 'CREATE TABLE half_done (id int); SELECT no_such_function();' };
    const m = await migrator([...MIGRATIONS, broken]);
    await expect(m.bootstrap()).rejects.toThrow('migration 999_broken failed');
    expect(await tablesInSchema()).not.toContain('half_done');
    const recorded = await database.query<{ name: string }>('SELECT name FROM schema_meta');
    expect(recorded.map((r) => r.name)).toEqual(MIGRATIONS.map((x) => x.name));
  });

  it('refuses up on a database that needs bootstrapping', async () => {
    await expect((await migrator()).up()).rejects.toThrow('Database needs bootstrapping');
  });
});
