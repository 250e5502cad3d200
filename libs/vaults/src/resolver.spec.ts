import { envVault, VaultSchemaRegistry } from '@keygate/entities';
import { awsEnvironment } from '@keygate/config';
import { memoryLogger } from '@keygate/logging';
import type { VaultBackend } from './backends/backend';
import { loadedBackends } from './backends';
import { SecretResolver } from './resolver';

/** A backend over a map, counting reads, with the env vault's schema under another name. */
function fakeBackend(secrets: Map<string, string>, counter: { reads: number; fail?: Error }): VaultBackend {
  return {
    schema: { ...envVault, name: 'fake' },
    connect: () => ({
      read: async (resource) => {
        counter.reads++;
        await new Promise((resolve) => setImmediate(resolve));
        if (counter.fail) throw counter.fail;
        const value = secrets.get(resource);
        if (value === undefined) throw new Error(`no secret ${resource}`);
        return value;
      },
    }),
  };
}

describe('SecretResolver', () => {
  let now: number;
  const secrets = new Map<string, string>();
  let counter: { reads: number; fail?: Error };
  let log: ReturnType<typeof memoryLogger>;

  function resolver(options: { vaultOptions?: Record<string, string>; env?: Record<string, string>; entities?: Record<string, { name: string; config: Record<string, unknown> }> } = {}) {
    const backends = new Map([...loadedBackends(new VaultSchemaRegistry(['env'])), ['fake', fakeBackend(secrets, counter)]]);
    return new SecretResolver({
      backends,
      vaultOptions: options.vaultOptions ?? {},
      context: { env: options.env ?? {}, aws: awsEnvironment({}), logger: log.logger, timeoutMs: 1000 },
      ...(options.entities ? { entities: async (prefix: string) => (options.entities![prefix] ? { prefix, ...options.entities![prefix] } : undefined) } : {}),
      intervalMs: 10_000,
      now: () => now,
    });
  }

  beforeEach(() => {
    now = 5_000_000;
    secrets.clear();
    secrets.set('db', JSON.stringify({ pg_user: 'kong', pg_password: 'KongFTW', port: 5432 }));
    counter = { reads: 0 };
    log = memoryLogger();
  });

  it('reads the env vault as Kong does: prefix, - -> _, upper case, #2 = _PREVIOUS', async () => {
    const r = resolver({ env: { MY_SECRET: 'a', SSL_MY_SECRET: 'b', MY_SECRET_PREVIOUS: 'c' }, vaultOptions: {} });
    expect((await r.resolve('{vault://env/my-secret}')).value.reveal()).toBe('a');
    expect((await r.resolve('{vault://env/my-secret?prefix=SSL_}')).value.reveal()).toBe('b');
    expect((await r.resolve('{vault://env/my-secret#2}')).value.reveal()).toBe('c');
    const prefixed = resolver({ env: { SSL_MY_SECRET: 'b' }, vaultOptions: { vault_env_prefix: 'ssl_' } });
    expect((await prefixed.resolve('{vault://env/my-secret}')).value.reveal()).toBe('b');
    await expect(r.resolve('{vault://env/absent}')).rejects.toThrow('environment variable ABSENT is not set');
  });

  it('reads a resource once for all its keys, and picks JSON fields', async () => {
    const r = resolver();
    const [user, password, whole] = await Promise.all([r.resolve('{vault://fake/db/pg_user}'), r.resolve('{vault://fake/db/pg_password}'), r.resolve('{vault://fake/db/}')]);
    expect(user.value.reveal()).toBe('kong');
    expect(password.value.reveal()).toBe('KongFTW');
    expect(JSON.parse(whole.value.reveal())).toMatchObject({ pg_user: 'kong' });
    expect(counter.reads).toBe(1);
    await expect(r.resolve('{vault://fake/db/absent}')).rejects.toThrow('could not get subfield value: subfield absent not found in JSON secret');
    await expect(r.resolve('{vault://fake/db/port}')).rejects.toThrow('unexpected number value in JSON secret for subfield port');
  });

  it('makes one backend call for 1000 concurrent lookups of an expired reference', async () => {
    const r = resolver();
    await r.resolve('{vault://fake/db/pg_user?ttl=5}');
    now += 6_000;
    counter.reads = 0;
    await Promise.all(Array.from({ length: 1000 }, () => r.resolve('{vault://fake/db/pg_user?ttl=5}')));
    expect(counter.reads).toBe(1);
  });

  it('rotates: refreshDue re-reads expired references and reports the changed ones', async () => {
    const r = resolver();
    const changes: string[][] = [];
    r.onChange((refs) => changes.push([...refs]));
    await r.resolve('{vault://fake/db/pg_password?ttl=5}');
    await r.resolve('{vault://fake/db/pg_user?ttl=5}');
    await r.resolve('{vault://fake/db/pg_user}');
    secrets.set('db', JSON.stringify({ pg_user: 'kong', pg_password: 'rotated' }));
    expect((await r.refreshDue()).refreshed).toBe(0);
    now += 5_000;
    const result = await r.refreshDue();
    expect(result).toMatchObject({ refreshed: 1, failed: 0 });
    expect([...result.changed].sort()).toEqual(['{vault://fake/db/pg_password?ttl=5}', '{vault://fake/db/pg_user?ttl=5}']);
    expect(changes).toHaveLength(1);
    expect((await r.resolve('{vault://fake/db/pg_password?ttl=5}')).value.reveal()).toBe('rotated');
  });

  it('keeps the last good value when the backend is down, logging once per interval and never the value', async () => {
    const r = resolver();
    await r.resolve('{vault://fake/db/pg_password?ttl=5&neg_ttl=1}');
    counter.fail = new Error('503 ServiceUnavailable');
    for (let i = 0; i < 5; i++) {
      now += 6_000;
      const res = await r.resolve('{vault://fake/db/pg_password?ttl=5&neg_ttl=1}');
      expect(res).toMatchObject({ stale: true });
      expect(res.value.reveal()).toBe('KongFTW');
    }
    const warnings = log.lines.filter((l) => l.includes('serving the last good value'));
    expect(warnings.length).toBeLessThanOrEqual(3);
    expect(log.lines.join('\n')).not.toContain('KongFTW');
  });

  it('uses vault entities by prefix, with vault_<backend>_<field> for fields the entity leaves unset', async () => {
    const r = resolver({ env: { TEAM_A_TOKEN: 'x' }, entities: { 'team-env': { name: 'env', config: { prefix: 'team_a_' } } } });
    expect((await r.resolve('{vault://team-env/token}')).value.reveal()).toBe('x');
    await expect(r.resolve('{vault://other/token}')).rejects.toThrow('could not find vault (other)');
    await expect(resolver().resolve('{vault://aws/x}')).rejects.toThrow('vault aws is not loaded');
  });

  it('reports invalid vault settings and options by name', async () => {
    await expect(resolver().resolve('{vault://fake/db/pg_user?ttl=soon}')).rejects.toThrow("invalid fake vault configuration (option 'ttl' of the reference: expected a number)");
    await expect(resolver({ vaultOptions: { vault_fake_ttl: '-3' } }).resolve('{vault://fake/db/pg_user}')).rejects.toThrow('vault_fake_ttl: value should be between 0 and 100000000');
    await resolver().resolve('{vault://fake/db/pg_user?colour=red}');
    expect(log.lines.some((l) => l.includes("option 'colour'"))).toBe(true);
  });
});
