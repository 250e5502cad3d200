import { z } from 'zod';
import { bool, nonEmptyString } from '../schema/fields';
import type { PluginSchema } from './registry';

export const basicAuth: PluginSchema = {
  name: 'basic-auth',
  version: '3.10.0',
  priority: 1100,
  protocols: ['grpc', 'grpcs', 'http', 'https', 'ws', 'wss'],
  noConsumer: true,
  config: z
    .object({
      anonymous: nonEmptyString().nullable().default(null),
      hide_credentials: bool().default(false),
      realm: nonEmptyString().default('service'),
    })
    .strict(),
};
