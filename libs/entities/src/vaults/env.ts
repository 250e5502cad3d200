import { z } from 'zod';
import { str } from '../schema/fields';
import { TTL_FIELDS, type VaultSchema } from './schema';

const PREFIX = /^[A-Za-z_-][A-Za-z0-9_-]*$/;

/** `{vault://env/my-secret}` reads `MY_SECRET` (with `prefix`, `<PREFIX>MY_SECRET`). */
export const envVault: VaultSchema = {
  name: 'env',
  config: z
    .object({
      prefix: str()
        .refine((v) => PREFIX.test(v), { error: (issue) => `invalid value: ${String(issue.input)}` })
        .optional(),
      ...TTL_FIELDS,
    })
    .strict(),
  encryptedFields: [],
};
