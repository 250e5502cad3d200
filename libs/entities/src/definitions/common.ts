import { z } from 'zod';
import { tags, timestamp, uuid } from '../schema/fields';

/** Fields every entity has: `id`, `created_at`, and (most) `updated_at`, `tags`. */
export const baseFields = {
  id: uuid().optional().meta({ kong: { auto: true } }),
  created_at: timestamp().optional().meta({ kong: { auto: true } }),
};

export const updatedAt = { updated_at: timestamp().optional().meta({ kong: { auto: true } }) };

export const tagsField = { tags: tags().nullable().optional() };

export const nullable = <T extends z.ZodType>(schema: T) => schema.nullable().optional();
