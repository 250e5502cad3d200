import { createServer, type Server } from 'node:http';
import { startRdsIamProxy, type RdsIamProxy } from '@keygate/tool-rds-iam-proxy';
import { freePort, runCli, testServices, useTestDatabase } from '@keygate/testing';

jest.setTimeout(180_000);

const database = useTestDatabase({ migrate: false });
let front: RdsIamProxy;
let forbidden: Server;
let forbiddenPort: number;

beforeAll(async () => {
  // A server that demands a password (RDS's cleartext exchange over TLS); no token verifies here.
  front = await startRdsIamProxy({ upstream: { host: testServices().pg.host, port: testServices().pg.port }, verify: async () => ({ ok: false, message: 'no token is valid in this test' }) });
  // An instance metadata service that refuses every caller (403).
  forbidden = createServer((_req, res) => res.writeHead(403, { 'content-type': 'text/plain' }).end('Forbidden'));
  await new Promise<void>((resolve) => forbidden.listen(0, '127.0.0.1', resolve));
  forbiddenPort = (forbidden.address() as { port: number }).port;
});

afterAll(async () => {
  await front?.stop();
  await new Promise((resolve) => forbidden?.close(resolve));
});

function env(extra: Record<string, string>): Record<string, string> {
  return {
    ...database.get().env(),
    KONG_PG_HOST: '127.0.0.1',
    KONG_PG_PORT: String(front.port),
    AWS_REGION: 'eu-west-1',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
    AWS_CONFIG_FILE: '/nonexistent/config',
    ...extra,
  };
}

describe('commands exit with the cause', () => {
  it.each([
    ['bootstrap', 'IMDS refuses connections', async () => ({ AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://127.0.0.1:${await freePort()}` }), /EC2 instance metadata service at http:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED/],
    ['up', 'IMDS answers 403', async () => ({ AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://127.0.0.1:${forbiddenPort}` }), /EC2 instance metadata service .*403/],
    [
      'up',
      'STS is unreachable',
      async () => ({
        AWS_ACCESS_KEY_ID: 'AKIAKEYGATETEST00001',
        AWS_SECRET_ACCESS_KEY: 'keygate/test/secret/key/0000000000000000',
        AWS_EC2_METADATA_DISABLED: 'true',
        KONG_PG_IAM_AUTH_ASSUME_ROLE_ARN: 'arn:aws:iam::123456789012:role/keygate-db',
        KONG_PG_IAM_AUTH_STS_ENDPOINT_URL: `http://127.0.0.1:${await freePort()}`,
      }),
      /ECONNREFUSED/,
    ],
  ])('migrations %s with pg_iam_auth = on when %s', async (verb, _case, extra, cause) => {
    const res = await runCli(['migrations', verb], { env: env({ KONG_PG_IAM_AUTH: 'on', ...(await extra()) }), timeoutMs: 120_000 });
    // null would mean runCli had to kill it.
    expect(res.code).toBe(1);
    const { pg_user: user, pg_database: name } = database.get().settings();
    const last = res.stderr.trim().split('\n').pop()!;
    expect(last).toMatch(new RegExp(`^Error: database 127\\.0\\.0\\.1:${front.port}/${name} as ${user}: `));
    expect(last).toMatch(cause);
    // One line per retry (5 attempts), no stack, the cause said once per line.
    const retries = res.stderr.split('\n').filter((line) => line.includes('not reachable'));
    expect(retries).toHaveLength(4);
    expect(res.stderr).not.toContain('    at ');
    // The AWS SDK's notice about its future Node requirement is not this command's business.
    expect(res.stderr).not.toContain('NodeVersionSupportWarning');
    for (const line of retries) expect(JSON.parse(line).msg.split(JSON.parse(line).error).length).toBe(2);
  });

  it('names pg_password when it is unset and the server requires a password, at once', async () => {
    const res = await runCli(['migrations', 'list'], { env: env({ KONG_PG_SSL: 'on' }) });
    expect(res.code).toBe(1);
    const { pg_user: user } = database.get().settings();
    expect(res.stderr).toContain(`pg_password is unset, and the server at 127.0.0.1:${front.port} requires a password for user "${user}"`);
    expect(res.stderr).not.toContain('SASL');
    expect(res.stderr).not.toContain('not reachable');
  });
});
