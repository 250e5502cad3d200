import { randomUUID } from 'node:crypto';
import { decryptField, encryptField, newDataKey, Secret } from '@keygate/crypto';
import { coreDefinitions, PluginRegistry, type EntityDefinition, type FieldProtector } from '@keygate/entities';
import { memoryLogger } from '@keygate/logging';
import { useTestDatabase } from '@keygate/testing';
import { EntityCompiler } from '../state/compile';
import { CredentialHasher } from '../state/hasher';
import { TABLE_NAMES, type TableName } from '../state/types';
import { StateLoader } from './loader';

const database = useTestDatabase();

/** A keyring member that holds no key yet: every encrypted value fails at once (as the keyring's does). */
const heldNothing: FieldProtector = {
  protect: async () => {
    throw new Error('not used');
  },
  reveal: async (value, context) => {
    try {
      return decryptField(value, () => undefined, context).plaintext;
    } catch (err) {
      throw Object.assign(err as Error, { table: context.table, row_id: context.id, field: context.field });
    }
  },
  digest: async () => {
    throw new Error('not used');
  },
};

describe('StateLoader with rows under a key this node lacks', () => {
  it('keeps basic-auth usernames as "key not available" placeholders, logs 20 rows then one summary, and lists the rest', async () => {
    const db = await database.get().db();
    const missing = { id: 'goneKey1', key: new Secret(newDataKey()) };
    const consumers: string[] = [];
    const creds: string[] = [];
    const names: string[] = [];
    const passwords: string[] = [];
    for (let i = 0; i < 50; i++) {
      const cred = randomUUID();
      consumers.push(randomUUID());
      creds.push(cred);
      names.push(`user-${i}`);
      passwords.push(encryptField('0'.repeat(40), missing, { table: 'basicauth_credentials', field: 'password', id: cred }));
    }
    await db.query('INSERT INTO consumers (id, created_at, updated_at, username) SELECT id, now(), now(), name FROM unnest($1::uuid[], $2::text[]) AS t(id, name)', [consumers, names]);
    await db.query(
      'INSERT INTO basicauth_credentials (id, created_at, consumer_id, username, password) SELECT id, now(), c, name, p FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[]) AS t(id, c, name, p)',
      [creds, consumers, names, passwords],
    );
    const registry = new PluginRegistry(['bundled']);
    const byName = new Map(coreDefinitions(registry).map((d) => [d.name, d]));
    const { logger, lines } = memoryLogger('info');
    const loader = new StateLoader({
      db,
      protector: heldNothing,
      definitions: new Map<TableName, EntityDefinition>(TABLE_NAMES.map((t) => [t, byName.get(t)!])),
      compiler: new EntityCompiler(CredentialHasher.random().hasher, registry),
      logger,
    });

    const loaded = await loader.loadAll();
    expect(loaded.basicauth_credentials).toHaveLength(50);
    expect(loaded.basicauth_credentials.every((c) => c.unavailable_key_id === 'goneKey1' && c.digest === '')).toBe(true);
    expect(loader.skipped.size).toBe(50);
    expect(loader.missingKeys()).toEqual(['goneKey1']);
    expect(lines.filter((l) => l.includes('skipped a row'))).toHaveLength(20);
    const summary = lines.filter((l) => l.includes('more rows'));
    expect(summary).toHaveLength(1);
    expect(JSON.parse(summary[0]!)).toMatchObject({ more: 30, skipped_total: 50, by_table_key_code: { 'basicauth_credentials/goneKey1/KEY_NOT_AVAILABLE': 50 } });
  });
});
