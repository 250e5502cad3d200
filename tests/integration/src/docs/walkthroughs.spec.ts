import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { quoteIdent } from '@keygate/db';
import { assertRedisReachable, baseEnv, cloneLikeDir, freePort, freePortBlock, readDoc, REPO_ROOT, redisPrefix, runnableBlocks, runSession, sessionFailures, TEST_LOG_DIR, testServices, type RunnableBlock } from '@keygate/testing';

jest.setTimeout(600_000);

/**
 * Each walkthrough runs as a user runs it: in order, in one shell, in a fresh directory that
 * looks like a clone (the repository's files linked in), against a cluster of its own on free
 * ports and a database of its own. `cluster` = a default `npm start` runs before the first block.
 */
const SESSIONS: ReadonlyArray<{ readonly name: string; readonly files: readonly string[]; readonly cluster?: boolean }> = [
  // proxy.md continues where the README stops, as a newcomer reads them.
  { name: 'readme-proxy', files: ['README.md', 'docs/proxy.md'], cluster: true },
  { name: 'keyring', files: ['docs/keyring.md'] },
  { name: 'secrets', files: ['docs/secrets.md'] },
  { name: 'rds-iam', files: ['docs/rds-iam.md'] },
  { name: 'admin-security', files: ['docs/admin-security.md'] },
  { name: 'aws-secrets-node', files: ['docs/aws-secrets-node.md'] },
];

const DOCS = ['README.md', ...readdirSync(join(REPO_ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** Drops what a walkthrough made: the cluster's (or its own) database and role. */
async function dropDatabaseAndRole(name: string): Promise<void> {
  const client = new pg.Client({ ...testServices().pg, database: 'postgres', connectionTimeoutMillis: 5000 });
  await client.connect();
  for (const sql of [`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`, `DROP ROLE IF EXISTS ${quoteIdent(name)}`]) {
    await client.query(sql).catch((err: Error) => console.warn(`doc-test cleanup: ${err.message}`));
  }
  await client.end();
}

async function environment(home: string): Promise<{ env: Record<string, string>; role: string }> {
  // The proxies' 4 slots and the status listeners' 7 (steps of 10) from one free block: two
  // blocks picked one by one could overlap (about 1 run in 170).
  const [admin, block] = [await freePort(), await freePortBlock(11)];
  const [proxy, status] = [block, block + 40];
  const suffix = randomBytes(4).toString('hex');
  const role = `kgdoc_${suffix}`;
  const { pg: server, redisUrl } = testServices();
  const env = baseEnv({
    // The cluster's settings: its own ports, database, role and Redis prefix.
    KONG_ADMIN_LISTEN: `127.0.0.1:${admin}`,
    KONG_PROXY_LISTEN: `127.0.0.1:${proxy}`,
    KONG_STATUS_LISTEN: `127.0.0.1:${status}`,
    KONG_PG_HOST: server.host,
    KONG_PG_PORT: String(server.port),
    KONG_PG_USER: role,
    KONG_PG_DATABASE: role,
    KONG_REDIS_URL: redisUrl,
    KONG_REDIS_PREFIX: redisPrefix(),
    // Nothing from the developer's ~/.aws, ~/.pgpass or shell profile.
    HOME: home,
    // The walkthroughs' address variables (their defaults are those of `npm start`).
    ADMIN: `http://127.0.0.1:${admin}`,
    PROXY: `http://127.0.0.1:${proxy}`,
    PROXY2: `http://127.0.0.1:${proxy + 10}`,
    PROXY_STATUS: `http://127.0.0.1:${status + 30}`,
    UPSTREAM_PORT: String(await freePort()),
    AWS_PORT: String(await freePort()),
    IMDS_PORT: String(await freePort()),
    RDS_PORT: String(await freePort()),
    ADMIN2_PORT: String(await freePort()),
    STATUS2_PORT: String(await freePort()),
    PGHOST: server.host,
    PGPORT: String(server.port),
    ...(server.password ? { PGPASSWORD: server.password } : {}),
    // No vault-dev on the shared 8200; the AWS emulator is the walkthrough's own (AWS_PORT).
    KONG_VAULT_HCV_HOST: '127.0.0.1',
    KONG_VAULT_HCV_PORT: String(await freePort()),
  });
  env.KONG_VAULT_AWS_ENDPOINT_URL = `http://127.0.0.1:${env.AWS_PORT}`;
  return { env, role };
}

describe('doc-tests: the walkthroughs in README.md and docs/*.md run as written', () => {
  const blocks = new Map(DOCS.map((file) => [file, runnableBlocks(readDoc(REPO_ROOT, file), file)]));

  beforeAll(() => assertRedisReachable());

  it('runs every runnable block in some walkthrough', () => {
    const covered = new Set(SESSIONS.flatMap((s) => s.files));
    const marked = DOCS.filter((file) => blocks.get(file)!.length > 0);
    expect(marked.filter((file) => !covered.has(file))).toEqual([]);
    for (const file of covered) expect(blocks.get(file)!.length).toBeGreaterThan(0);
  });

  it.each(SESSIONS.map((s) => [s.name, s] as const))('%s', async (name, session) => {
    const todo: RunnableBlock[] = session.files.flatMap((file) => blocks.get(file)!);
    const steps = session.cluster ? [{ file: '(npm start)', line: 0, code: 'npm start' }, ...todo] : todo;
    const dir = cloneLikeDir(REPO_ROOT);
    const { env, role } = await environment(dir);
    try {
      const result = await runSession(steps, { workDir: dir, env, logDir: join(TEST_LOG_DIR, `docs-${name}`), label: name, timeoutMs: 300_000 });
      const failures = sessionFailures(steps, result);
      expect(failures).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await dropDatabaseAndRole(role);
    }
  });
});
