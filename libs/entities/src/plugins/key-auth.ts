import { z } from 'zod';
import { array, bool, nonEmptyString, str } from '../schema/fields';
import type { PluginSchema } from './registry';

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;

/** key-auth's config, with Kong's defaults (`kong/plugins/key-auth/schema.lua`). */
export const keyAuthConfig = z
  .object({
    key_names: array(str().refine((v) => HEADER_NAME.test(v), { error: 'bad header name' }))
      .min(1, { error: 'length must be at least 1' })
      .default(['apikey']),
    hide_credentials: bool().default(false),
    anonymous: nonEmptyString().nullable().default(null),
    key_in_header: bool().default(true),
    key_in_query: bool().default(true),
    key_in_body: bool().default(false),
    run_on_preflight: bool().default(true),
    realm: nonEmptyString().nullable().default(null),
  })
  .strict();

/** A validated key-auth config (what the proxy runs with). */
export type KeyAuthConfig = Readonly<z.output<typeof keyAuthConfig>>;

export const keyAuth: PluginSchema = {
  name: 'key-auth',
  version: '3.10.0',
  priority: 1250,
  protocols: ['grpc', 'grpcs', 'http', 'https', 'ws', 'wss'],
  noConsumer: true,
  config: keyAuthConfig,
};
