import { Secret } from '@keygate/crypto';
import { memoryLogger } from '@keygate/logging';
import { EntityReferenceResolver, findReferences } from './entity-references';

describe('EntityReferenceResolver', () => {
  const values: Record<string, string> = { '{vault://env/token}': 'resolved-token', '{vault://env/a}': 'A' };
  const resolve = async (reference: string) => {
    const value = values[reference];
    if (value === undefined) throw new Error(`environment variable for ${reference} is not set`);
    return new Secret(value);
  };

  it('finds references anywhere in a config, with their paths', () => {
    expect(findReferences({ config: { token: '{vault://env/token}', list: ['x', '{vault://env/a}'], n: 1 } })).toEqual([
      { path: 'config.token', reference: '{vault://env/token}' },
      { path: 'config.list.1', reference: '{vault://env/a}' },
    ]);
  });

  it('returns a copy with the values in place and leaves the entity as stored', async () => {
    const { logger } = memoryLogger();
    const entity = { id: 'p1', config: { token: '{vault://env/token}', list: ['{vault://env/a}'] } };
    const result = await new EntityReferenceResolver({ resolve, logger }).resolve(entity, 'plugins p1');
    expect(result).toEqual({ ok: true, value: { id: 'p1', config: { token: 'resolved-token', list: ['A'] } } });
    expect(entity.config.token).toBe('{vault://env/token}');
  });

  it('fails only the entity with a bad reference, logging it once per interval', async () => {
    let now = 0;
    const log = memoryLogger();
    const resolver = new EntityReferenceResolver({ resolve, logger: log.logger, intervalMs: 60_000, now: () => now });
    for (let i = 0; i < 100; i++) {
      const bad = await resolver.resolve({ id: 'p2', config: { token: '{vault://env/missing}' } }, 'plugins p2');
      expect(bad).toMatchObject({ ok: false, failures: [{ path: 'config.token', reference: '{vault://env/missing}' }] });
      expect((await resolver.resolve({ id: 'p3', config: { token: '{vault://env/token}' } }, 'plugins p3')).ok).toBe(true);
    }
    expect(log.lines.filter((l) => l.includes('cannot resolve vault references'))).toHaveLength(1);
    now += 60_000;
    await resolver.resolve({ id: 'p2', config: { token: '{vault://env/missing}' } }, 'plugins p2');
    expect(log.lines.filter((l) => l.includes('cannot resolve vault references'))).toHaveLength(2);
  });
});
