import { plantedSecret, runCli, useTestDatabase } from '@keygate/testing';

const database = useTestDatabase({ migrate: false });

describe('keygate CLI', () => {
  it('prints its version', async () => {
    const res = await runCli(['--version']);
    expect(res.code).toBe(0);
    expect(res.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('config check prints the effective configuration with secrets redacted', async () => {
    const secret = plantedSecret('config-check');
    const res = await runCli(['config', 'check'], {
      env: { KONG_PG_HOST: 'db.internal', KONG_PG_PASSWORD: secret, KONG_PG_USER: '{vault://aws/kong-gateway-database/pg_user}' },
    });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^pg_host\s+= db\.internal {4}# env KONG_PG_HOST$/m);
    expect(res.stdout).toMatch(/^pg_password\s+= \[REDACTED\]/m);
    expect(res.stdout).toMatch(/^pg_user\s+= \{vault:\/\/aws\/kong-gateway-database\/pg_user\}/m);
    expect(res.stdout).toMatch(/^pg_port\s+= 5432$/m);
    expect(res.stdout).toContain('configuration is valid');
    expect(res.stdout + res.stderr).not.toContain(secret);
  });

  it('config check lists every error and exits 1', async () => {
    const res = await runCli(['config', 'check'], { env: { KONG_PG_PORT: 'notaport', KONG_PG_SSL: 'maybe' } });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('invalid configuration (2 errors)');
    expect(res.stderr).toContain('pg_port (env KONG_PG_PORT): expected an integer between 1 and 65535, got "notaport"');
    expect(res.stderr).toContain('pg_ssl (env KONG_PG_SSL): expected on or off');
  });

  it('start refuses an invalid setting, naming the key and the variable', async () => {
    const res = await runCli(['start', 'admin'], { env: { KONG_PG_PORT: 'notaport' } });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('pg_port');
    expect(res.stderr).toContain('KONG_PG_PORT');
  });

  it('start refuses an unknown app', async () => {
    const res = await runCli(['start', 'gateway']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("unknown app 'gateway'; expected one of: proxy, admin, vault-resolver, keyring-broker");
  });

  it("runs Kong's migration verbs with Kong's messages and exit codes", async () => {
    const env = database.get().env();
    const list = (await runCli(['migrations', 'list'], { env }));
    expect([list.code, list.stdout]).toEqual([3, expect.stringContaining('Database needs bootstrapping')]);

    const start = await runCli(['start', 'admin'], { env: { ...env, KONG_ADMIN_LISTEN: '127.0.0.1:0', KONG_STATUS_LISTEN: '127.0.0.1:0' } });
    expect(start.code).toBe(1);
    expect(start.stderr).toContain("run 'keygate migrations bootstrap'");

    const up = await runCli(['migrations', 'up'], { env });
    expect([up.code, up.stderr]).toEqual([1, expect.stringContaining('Cannot run migrations: Database needs bootstrapping')]);

    const bootstrap = await runCli(['migrations', 'bootstrap'], { env });
    expect(bootstrap.code).toBe(0);
    expect(bootstrap.stdout).toContain('Bootstrapping database...');
    expect(bootstrap.stdout).toContain(`migrating core on database '${database.get().name}'...`);
    expect(bootstrap.stdout).toContain('Database is up-to-date');

    const again = await runCli(['migrations', 'bootstrap'], { env });
    expect([again.code, again.stdout.trim()]).toEqual([0, 'Database already bootstrapped']);
    expect((await runCli(['migrations', 'list'], { env })).stdout).toContain('Executed migrations:\ncore: 000_base');
    expect((await runCli(['migrations', 'up'], { env })).stdout.trim()).toBe('Database is already up-to-date');
    expect((await runCli(['migrations', 'finish'], { env })).stdout.trim()).toBe('No pending migrations to finish');

    const refused = await runCli(['migrations', 'reset'], { env });
    expect([refused.code, refused.stderr]).toEqual([1, expect.stringContaining('pass --yes')]);
    const reset = await runCli(['migrations', 'reset', '--yes'], { env });
    expect([reset.code, reset.stdout]).toEqual([0, expect.stringContaining('Database successfully reset')]);
    const nothing = await runCli(['migrations', 'reset', '--yes'], { env });
    expect([nothing.code, nothing.stdout]).toEqual([1, expect.stringContaining('Database not bootstrapped, nothing to reset')]);
    expect((await runCli(['migrations', 'list'], { env })).code).toBe(3);
  });

  it('start fails clearly, exit 1, when its port is taken', async () => {
    const { createServer } = await import('node:net');
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    await runCli(['migrations', 'bootstrap'], { env: database.get().env() });
    const res = await runCli(['start', 'admin'], {
      env: { ...database.get().env(), KONG_ADMIN_LISTEN: `127.0.0.1:${port}`, KONG_STATUS_LISTEN: '127.0.0.1:0' },
    });
    blocker.close();
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`admin failed to start: admin: cannot listen on 127.0.0.1:${port}: EADDRINUSE`);
  });

  it('reports a database it cannot reach clearly, without a stack trace', async () => {
    const res = await runCli(['migrations', 'list'], { env: { ...database.get().env(), KONG_PG_DATABASE: 'kgtest_does_not_exist' } });
    expect(res.code).toBe(1);
    const { pg_host: host, pg_port: port, pg_user: user } = database.get().settings();
    expect(res.stderr).toContain(`Error: database ${host}:${port}/kgtest_does_not_exist as ${user}: database "kgtest_does_not_exist" does not exist`);
    expect(res.stderr).not.toContain('    at ');
  });
});
