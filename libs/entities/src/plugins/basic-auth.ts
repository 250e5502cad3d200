import { z } from 'zod';
import { bool, nonEmptyString } from '../schema/fields';
import type { PluginSchema } from './registry';

/** basic-auth's config, with Kong's defaults (`kong/plugins/basic-auth/schema.lua`). */
export const basicAuthConfig = z
  .object({
    anonymous: nonEmptyString().nullable().default(null),
    hide_credentials: bool().default(false),
    realm: nonEmptyString().default('service'),
  })
  .strict();

/** A validated basic-auth config (what the proxy runs with). */
export type BasicAuthConfig = Readonly<z.output<typeof basicAuthConfig>>;

export const basicAuth: PluginSchema = {
  name: 'basic-auth',
  version: '3.10.0',
  priority: 1100,
  protocols: ['grpc', 'grpcs', 'http', 'https', 'ws', 'wss'],
  noConsumer: true,
  config: basicAuthConfig,
};
