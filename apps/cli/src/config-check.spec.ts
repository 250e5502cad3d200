import { runCli } from '@keygate/testing';

/** `config check` and `start <app>` load the configuration the same way: both must refuse. */
async function bothRefuse(env: Record<string, string>): Promise<{ check: string; start: string }> {
  const check = await runCli(['config', 'check'], { env });
  // Validation comes before anything is opened: no database is needed to see the refusal.
  const start = await runCli(['start', 'admin'], { env: { ...env, KONG_ADMIN_LISTEN: '127.0.0.1:0', KONG_STATUS_LISTEN: '127.0.0.1:0', KONG_PG_PORT: '1' } });
  expect(check.code).toBe(1);
  expect(start.code).toBe(1);
  return { check: check.stderr, start: start.stderr };
}

describe('config check runs the validation start runs', () => {
  it.each([
    [{ KONG_PLUGINS: 'bundled, rate-limiting' }, "plugins (env KONG_PLUGINS): 'rate-limiting' is not a plugin Keygate knows"],
    [{ KONG_VAULTS: 'bundled,gcp' }, "vaults (env KONG_VAULTS): 'gcp' is not a vault backend Keygate knows (not available in this version yet)"],
    [{ KONG_PG_IAM_AUTH_ASSUME_ROLE_ARN: '<role_arn>' }, 'pg_iam_auth_assume_role_arn (env KONG_PG_IAM_AUTH_ASSUME_ROLE_ARN): <role_arn> is a placeholder from an example'],
    [{ KONG_PG_USER: '{vault://}' }, 'pg_user (env KONG_PG_USER): cannot resolve {vault://}: reference url is missing host'],
    [{ KONG_PG_USER: '{vault://@/test}' }, 'pg_user (env KONG_PG_USER): cannot resolve {vault://@/test}: reference url is missing host'],
    [{ KONG_PG_PASSWORD: '{vault://:80/test}' }, 'pg_password (env KONG_PG_PASSWORD): cannot resolve {vault://:80/test}: reference url is missing host'],
  ])('%j is refused by both', async (env, message) => {
    const { check, start } = await bothRefuse(env);
    expect(check).toContain(message);
    expect(start).toContain(message);
  });

  it('warns, naming the key, about values that look like mistyped references and unknown reference options', async () => {
    const res = await runCli(['config', 'check'], {
      env: {
        KONG_PG_USER: '{vault:/aws/kong-gateway-database/pg_user}',
        KONG_PG_PASSWORD: '{vault://aws/kong-gateway-database/pg_password',
        KONG_PG_DATABASE: '{vault://aws/kong-gateway-database/pg_database?regoin=eu-west-1}',
      },
    });
    expect(res.code).toBe(0);
    expect(res.stderr).toContain('warning: pg_user: the value looks like a mistyped vault reference');
    expect(res.stderr).toContain('warning: pg_password: the value looks like a mistyped vault reference');
    expect(res.stderr).toMatch(/warning: pg_database: \{vault:\/\/aws\/kong-gateway-database\/pg_database\?regoin=eu-west-1\}: regoin is not a aws vault setting \(known: region, [^)]*\); ignored/);
  });

  it('shows pg_ssl on when pg_iam_auth forces it', async () => {
    const res = await runCli(['config', 'check'], { env: { KONG_PG_IAM_AUTH: 'on' } });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^pg_ssl\s+= true {4}# on because pg_iam_auth = on$/m);
    const plain = await runCli(['config', 'check']);
    expect(plain.stdout).toMatch(/^pg_ssl\s+= false$/m);
  });
});
