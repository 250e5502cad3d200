import { AppProcess, redisPrefix, rsaKeyFiles, runCli, TestDatabase, useTestDatabase } from '@keygate/testing';

const database = useTestDatabase();
const rsa = rsaKeyFiles();

describe('keygate keyring', () => {
  it('shows the keyring status, and recovers it with the recovery private key after a restart', async () => {
    const env = { ...database.get().env(), KONG_KEYRING_ENABLED: 'on', KONG_KEYRING_RECOVERY_PUBLIC_KEY: rsa.publicPath };
    let admin = await AppProcess.start('admin', { env });
    try {
      const status = await runCli(['keyring', 'status', '--admin-url', admin.url('admin')]);
      expect(status.code).toBe(0);
      const active = /active ([A-Za-z0-9]{8})/.exec(status.stdout)?.[1];
      expect(active).toBeDefined();
      expect(status.stdout).toContain(`* ${active}`);

      await admin.stop();
      admin = await AppProcess.start('admin', { env });
      const lacking = await runCli(['keyring', 'status', '--admin-url', admin.url('admin')]);
      expect(lacking.stdout).toContain('0 key(s), none active');
      expect(lacking.stdout).toContain(`missing on this node (recover or import them): ${active}`);

      const recovered = await runCli(['keyring', 'recover', '--key', rsa.privatePath, '--admin-url', admin.url('admin')]);
      expect(recovered.code).toBe(0);
      expect(recovered.stdout).toContain('successfully recovered 1 keys');
      expect(recovered.stdout).toContain(`active: ${active}`);
      expect(recovered.stdout + recovered.stderr).not.toContain('PRIVATE KEY');
    } finally {
      await admin.stop();
    }
  });

  it('follows a re-encryption run to the end with --watch', async () => {
    // A database of its own: the first test left keys in keyring_meta that no node holds now.
    const own = await TestDatabase.create();
    const env = { ...own.env(), KONG_KEYRING_ENABLED: 'on', KONG_KEYRING_CLUSTER_SECRET: 'cli-test-secret', KONG_REDIS_PREFIX: redisPrefix() };
    const admin = await AppProcess.start('admin', { env });
    const broker = await AppProcess.start('keyring-broker', { env });
    try {
      const res = await runCli(['keyring', 'reencrypt', '--start', '--watch', '--admin-url', admin.url('admin')]);
      expect(res.code).toBe(0);
      expect(res.stdout).toMatch(/\[#{30}\] 100% .*\(done\)/);
    } finally {
      await broker.stop();
      await admin.stop();
      await own.drop();
    }
  });

  it('says clearly when the Admin API cannot be reached', async () => {
    const res = await runCli(['keyring', 'status', '--admin-url', 'http://127.0.0.1:9']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('cannot reach the Admin API at http://127.0.0.1:9');
  });
});
