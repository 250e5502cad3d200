import { randomBytes } from 'node:crypto';
import { AppProcess, redisPrefix, useTestDatabase } from '@keygate/testing';

const database = useTestDatabase();
const nodes: AppProcess[] = [];
jest.setTimeout(120_000);

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
});

describe('scheduled keyring rotation (keyring_rotation_interval)', () => {
  it('rotates once per interval cluster-wide with two brokers, re-encrypts, and removes retired keys no row uses', async () => {
    const env = {
      ...database.get().env(),
      KONG_KEYRING_ENABLED: 'on',
      KONG_KEYRING_CLUSTER_SECRET: randomBytes(24).toString('base64url'),
      KONG_REDIS_PREFIX: redisPrefix(),
      KONG_KEYRING_ROTATION_INTERVAL: '2s',
      KONG_KEYRING_REMOVE_OLD_KEYS_AFTER: '1s',
    };
    nodes.push(await AppProcess.start('admin', { env }));
    nodes.push(await AppProcess.start('keyring-broker', { env }));
    nodes.push(await AppProcess.start('keyring-broker', { env }));

    const deadline = Date.now() + 60_000;
    let runs: Array<{ created_at: Date; state: string; target_key_id: string }> = [];
    while (Date.now() < deadline) {
      runs = await database.get().query("SELECT created_at, state, target_key_id FROM keyring_reencrypt_runs WHERE reason = 'rotation' ORDER BY created_at");
      if (runs.filter((r) => r.state === 'done').length >= 3) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(runs.filter((r) => r.state === 'done').length).toBeGreaterThanOrEqual(3);
    // Two brokers, one schedule: never two rotations within the same interval.
    for (let i = 1; i < runs.length; i++) {
      expect(runs[i]!.created_at.getTime() - runs[i - 1]!.created_at.getTime()).toBeGreaterThan(1500);
    }
    // Retired keys that no row uses are removed after the grace period: the keyring stays small.
    const meta = await database.get().query<{ id: string; state: string }>("SELECT id, state FROM keyring_meta WHERE state NOT IN ('tombstoned', 'index')");
    expect(meta.length).toBeLessThanOrEqual(3);
    expect(meta.filter((m) => m.state === 'active')).toHaveLength(1);
  });
});
