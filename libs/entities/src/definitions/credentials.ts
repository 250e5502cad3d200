import { createHash } from 'node:crypto';
import { z } from 'zod';
import { randomAlphanumeric } from '@keygate/crypto';
import type { Entity, EntityDefinition } from '../definition';
import { foreign, int, nonEmptyString } from '../schema/fields';
import { baseFields, tagsField } from './common';

/** Kong's basic-auth hash: lowercase hex SHA-1 of the password followed by the consumer id. */
export function basicAuthHash(password: string, consumerId: string): string {
  return createHash('sha1').update(password + consumerId).digest('hex');
}


const consumerId = (input: Record<string, unknown>, existing?: Entity) =>
  ((input.consumer ?? existing?.consumer) as { id?: unknown } | null | undefined)?.id;

export const basicAuthCredentials: EntityDefinition = {
  name: 'basicauth_credentials',
  collectionPath: 'basic-auths',
  nestedPath: 'basic-auth',
  schema: z
    .object({
      ...baseFields,
      consumer: foreign(),
      username: nonEmptyString(),
      password: nonEmptyString(),
      ...tagsField,
    })
    .strict(),
  endpointKey: 'username',
  foreignKeys: [{ field: 'consumer', entity: 'consumers', column: 'consumer_id' }],
  jsonColumns: [],
  hasUpdatedAt: false,
  // A new password is hashed as Kong does; a PATCH without one keeps the stored hash.
  transform: (input, existing) => {
    if (typeof input.password !== 'string') return input;
    const id = consumerId(input, existing);
    return typeof id === 'string' ? { ...input, password: basicAuthHash(input.password, id) } : input;
  },
  encryptedFields: ['password'],
};

export const keyAuthCredentials: EntityDefinition = {
  name: 'keyauth_credentials',
  collectionPath: 'key-auths',
  nestedPath: 'key-auth',
  schema: z
    .object({
      ...baseFields,
      consumer: foreign(),
      key: nonEmptyString().optional(),
      ttl: int(0, 100_000_000).nullable().optional(),
      ...tagsField,
    })
    .strict(),
  // `/key-auths/{key}` as in Kong; the lookup goes through `key_digest` (the key is encrypted).
  endpointKey: 'key',
  foreignKeys: [{ field: 'consumer', entity: 'consumers', column: 'consumer_id' }],
  jsonColumns: [],
  hasUpdatedAt: false,
  // Kong generates a 32-character key when none is given.
  transform: (input, existing) => (input.key === undefined && !existing ? { ...input, key: randomAlphanumeric(32) } : input),
  encryptedFields: ['key'],
  derived: (entity) => ({
    expires_at: typeof entity.ttl === 'number' && entity.ttl > 0 ? new Date((Number(entity.created_at) + entity.ttl) * 1000) : null,
  }),
  // Uniqueness and lookup of keys, since the stored key is encrypted with a random nonce (Kong
  // stores it in clear): a digest keyed with the cluster's index key, see docs/keyring.md.
  digests: { key_digest: { field: 'key', purpose: 'key-auth' } },
  derivedUniqueFields: { key_digest: ['key'] },
};
