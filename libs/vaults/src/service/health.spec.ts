import { envVault, VaultSchemaRegistry } from '@keygate/entities';
import { awsEnvironment } from '@keygate/config';
import { memoryLogger } from '@keygate/logging';
import type { VaultBackend } from '../backends/backend';
import { loadedBackends } from '../backends';
import { ReferenceHealthTracker } from './health';
import { SecretResolver } from '../resolver';

const VALUE = 'health-spec-value-7f3a';

describe('ReferenceHealthTracker', () => {
  let now: number;
  let fail: Error | undefined;
  let tracker: ReferenceHealthTracker;

  beforeEach(() => {
    now = 1_000_000;
    fail = undefined;
    const fake: VaultBackend = {
      schema: { ...envVault, name: 'fake' },
      connect: () => ({
        read: async (resource) => {
          if (fail) throw fail;
          if (resource !== 'db') throw new Error(`no secret ${resource}`);
          return JSON.stringify({ password: VALUE });
        },
      }),
    };
    const resolver = new SecretResolver({
      backends: new Map([...loadedBackends(new VaultSchemaRegistry(['env'])), ['fake', fake]]),
      vaultOptions: {},
      context: { env: {}, aws: awsEnvironment({}), logger: memoryLogger().logger, timeoutMs: 1000 },
      intervalMs: 1000,
      now: () => now,
    });
    tracker = new ReferenceHealthTracker(resolver, { secretOptions: ['token'], limit: 4, now: () => now });
  });

  it('reports each reference with its backend, cache state and last error, never a value', async () => {
    await tracker.resolve('{vault://fake/db/password?ttl=10}');
    await expect(tracker.resolve('{vault://fake/db/missing?ttl=10}')).rejects.toThrow('subfield missing not found');
    await expect(tracker.resolve('{vault://fake/other?ttl=10}')).rejects.toThrow('no secret other');
    await expect(tracker.resolve('{vault://nope/x}')).rejects.toThrow();
    const report = tracker.report();
    expect(JSON.stringify(report)).not.toContain(VALUE);
    expect(report.map((r) => [r.reference, r.backend, r.cached, r.failing, r.last_error?.code ?? null])).toEqual([
      ['{vault://fake/db/missing?ttl=10}', 'fake', true, true, 'VAULT_SECRET_NOT_FOUND'],
      ['{vault://fake/db/password?ttl=10}', 'fake', true, false, null],
      ['{vault://fake/other?ttl=10}', 'fake', false, true, 'VAULT_BACKEND'],
      ['{vault://nope/x}', null, false, true, 'VAULT_NOT_FOUND'],
    ]);
    // At most `limit` references: the least recently used goes first.
    await tracker.resolve('{vault://fake/db/password?ttl=20}');
    expect(tracker.report().map((r) => r.reference)).not.toContain('{vault://fake/db/password?ttl=10}');
  });

  it('marks a reference served stale while its backend fails, and clears the error after a good read', async () => {
    const ref = '{vault://fake/db/password?ttl=10&resurrect_ttl=100}';
    await tracker.resolve(ref);
    now += 11_000;
    fail = new Error('backend down');
    expect((await tracker.resolve(ref)).stale).toBe(true);
    let [row] = tracker.report();
    expect(row).toMatchObject({ failing: false, stale: true, stale_served: 1, cached: true, refreshed_at: 1_000_000, last_error: { message: 'backend down' } });
    fail = undefined;
    now += 11_000; // after neg_ttl (= ttl)
    await tracker.resolve(ref);
    [row] = tracker.report();
    expect(row).toMatchObject({ stale: false, stale_served: 1, last_error: null, refreshed_at: now, expires_at: now + 10_000 });
  });

  it('redacts secret options in the query and forgets idle references', async () => {
    await expect(tracker.resolve('{vault://hcv/kong/db?token=hvs.planted&ttl=5}')).rejects.toThrow();
    expect(tracker.report()[0]!.reference).toBe('{vault://hcv/kong/db?token=[REDACTED]&ttl=5}');
    now += 3_600_000;
    expect(tracker.report()).toEqual([]);
  });
});
