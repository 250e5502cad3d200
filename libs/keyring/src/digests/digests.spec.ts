import { randomUUID } from 'node:crypto';
import { encryptField, isKeyedDigest, keyedDigest, newDataKey, Secret, unkeyedDigest } from '@keygate/crypto';
import { EntityError, EntityStore, PluginRegistry, plainFields } from '@keygate/entities';
import { memoryLogger } from '@keygate/logging';
import { plantedSecret, useTestDatabase } from '@keygate/testing';
import { INDEX_KEY_ID } from '../index-key';
import { Keyring } from '../keyring';
import { KeyringFieldProtector } from '../protector';
import { keyedDigestsExist, migrateDigests } from './migrate';

const database = useTestDatabase();

async function setup() {
  const db = await database.get().db();
  await db.query('DELETE FROM keyauth_credentials');
  await db.query('DELETE FROM consumers');
  const keyring = new Keyring();
  const dataKey = { id: 'dataKey1', key: new Secret(newDataKey()) };
  keyring.add(dataKey);
  keyring.activate(dataKey.id);
  const indexKey = { id: INDEX_KEY_ID, key: new Secret(newDataKey()) };
  keyring.add(indexKey);
  const { logger, lines } = memoryLogger('info');
  const protector = new KeyringFieldProtector(true, keyring, logger);
  const store = new EntityStore(db, new PluginRegistry(['bundled']), protector);
  const consumer = await store.dao('consumers').insert({ username: `c-${randomUUID()}` });
  /** A row as the previous version wrote it: encrypted key, unkeyed digest. */
  const legacyRow = async (key: string) => {
    const id = randomUUID();
    const stored = encryptField(key, dataKey, { table: 'keyauth_credentials', field: 'key', id });
    await db.query('INSERT INTO keyauth_credentials (id, created_at, consumer_id, key, key_digest) VALUES ($1, now(), $2, $3, $4)', [
      id,
      consumer.id,
      stored,
      unkeyedDigest('key-auth', key),
    ]);
    return id;
  };
  return { db, keyring, indexKey, protector, store, consumer, legacyRow, logger, lines };
}

const digestOf = async (id: string) =>
  (await database.get().query<{ key_digest: string }>('SELECT key_digest FROM keyauth_credentials WHERE id = $1', [id]))[0]?.key_digest;

describe('keyed lookup digests', () => {
  it('stores h1: HMAC digests, domain-separated by purpose, that no unkeyed function of the key gives', async () => {
    const { store, consumer, indexKey } = await setup();
    const created = await store.dao('keyauth_credentials').insert({ consumer: { id: consumer.id }, key: 'password1' });
    const digest = (await digestOf(created.id))!;
    expect(digest).toBe(keyedDigest(indexKey.key, 'key-auth', 'password1'));
    expect(digest).toMatch(/^h1:[A-Za-z0-9_-]{43}$/);
    expect(digest).not.toBe(keyedDigest(indexKey.key, 'basic-auth', 'password1'));
    expect(digest).not.toContain(unkeyedDigest('key-auth', 'password1'));
    const duplicate = store.dao('keyauth_credentials').insert({ consumer: { id: consumer.id }, key: 'password1' });
    await expect(duplicate).rejects.toMatchObject({ kind: 'UNIQUE_VIOLATION' });
  });

  it('refuses a duplicate of a row whose digest is not migrated yet, then migrates it (idempotent, counted)', async () => {
    const { store, consumer, legacyRow, db, indexKey, protector, logger, lines } = await setup();
    const old = await legacyRow('weak-key-1');
    const other = await legacyRow('weak-key-2');
    expect(await keyedDigestsExist(db, store.definitions())).toBe(false);

    const duplicate = store.dao('keyauth_credentials').insert({ consumer: { id: consumer.id }, key: 'weak-key-1' });
    await expect(duplicate).rejects.toBeInstanceOf(EntityError);
    await expect(duplicate).rejects.toMatchObject({ kind: 'UNIQUE_VIOLATION' });
    // PATCHing the legacy row itself is not a duplicate of itself.
    await store.dao('keyauth_credentials').update(old, { key: 'weak-key-1' });

    const first = await migrateDigests(db, store.definitions(), { protector, logger, batchSize: 1 });
    expect(first).toEqual({ migrated: { keyauth_credentials: 1 }, failed: {} });
    expect(await digestOf(other)).toBe(keyedDigest(indexKey.key, 'key-auth', 'weak-key-2'));
    expect(await digestOf(old)).toBe(keyedDigest(indexKey.key, 'key-auth', 'weak-key-1'));
    expect(await keyedDigestsExist(db, store.definitions())).toBe(true);
    expect(lines.some((l) => l.includes('rewrote unkeyed digests'))).toBe(true);

    expect(await migrateDigests(db, store.definitions(), { protector, logger })).toEqual({ migrated: {}, failed: {} });
    await expect(store.dao('keyauth_credentials').insert({ consumer: { id: consumer.id }, key: 'weak-key-2' })).rejects.toMatchObject({ kind: 'UNIQUE_VIOLATION' });
  });

  it('leaves a row it cannot read with its old digest and says which, without the value', async () => {
    const { db, store, protector, logger, lines, consumer } = await setup();
    const id = randomUUID();
    const lost = { id: 'lostKey1', key: new Secret(newDataKey()) };
    const secret = plantedSecret('key');
    const stored = encryptField(secret, lost, { table: 'keyauth_credentials', field: 'key', id });
    await db.query('INSERT INTO keyauth_credentials (id, created_at, consumer_id, key, key_digest) VALUES ($1, now(), $2, $3, $4)', [
      id,
      consumer.id,
      stored,
      unkeyedDigest('key-auth', secret),
    ]);
    expect(await migrateDigests(db, store.definitions(), { protector, logger })).toEqual({ migrated: {}, failed: { keyauth_credentials: 1 } });
    expect(isKeyedDigest((await digestOf(id))!)).toBe(false);
    expect(lines.some((l) => l.includes(id) && l.includes('cannot read the value'))).toBe(true);
    expect(lines.join('\n')).not.toContain(secret);
  });

  it('answers 503 (typed) when the node lacks the index key, and stays unkeyed with the keyring off', async () => {
    const { logger } = await setup();
    const ring = new Keyring();
    await expect(new KeyringFieldProtector(true, ring, logger).digest('key-auth', 'x')).rejects.toMatchObject({ code: 'KEYRING_NOT_READY' });
    expect(await new KeyringFieldProtector(false, ring, logger).digest('key-auth', 'x')).toBe(unkeyedDigest('key-auth', 'x'));
    expect(await plainFields.digest('key-auth', 'x')).toBe(unkeyedDigest('key-auth', 'x'));
  });

  it('never replaces, activates, lists or forgets the index key', async () => {
    const { keyring, indexKey } = await setup();
    keyring.add({ id: INDEX_KEY_ID, key: new Secret(newDataKey()) });
    expect(keyring.indexKey()).toBe(indexKey);
    expect(() => keyring.activate(INDEX_KEY_ID)).toThrow();
    keyring.remove(INDEX_KEY_ID);
    expect(keyring.indexKey()).toBe(indexKey);
    expect(keyring.ids()).toEqual(['dataKey1']);
    expect(keyring.all().map((k) => k.id)).toContain(INDEX_KEY_ID);
  });
});
