import { z } from 'zod';
import type { EntityDefinition } from '../definition';
import { nonEmptyString } from '../schema/fields';
import { baseFields, nullable, tagsField, updatedAt } from './common';

export const consumers: EntityDefinition = {
  name: 'consumers',
  schema: z
    .object({
      ...baseFields,
      ...updatedAt,
      username: nullable(nonEmptyString()),
      custom_id: nullable(nonEmptyString()).meta({ kong: { unique: true } }),
      ...tagsField,
    })
    .strict(),
  endpointKey: 'username',
  lookupFilters: ['custom_id'],
  entityChecks: [{ at_least_one_of: ['custom_id', 'username'] }],
  foreignKeys: [],
  jsonColumns: [],
  hasUpdatedAt: true,
  finalize: (entity) =>
    entity.username == null && entity.custom_id == null
      ? { '@entity': ["at least one of these fields must be non-empty: 'custom_id', 'username'"] }
      : undefined,
};
