import type { z } from 'zod';
import { SchemaRegistry } from '../schema/registry';
import { basicAuth } from './basic-auth';
import { keyAuth } from './key-auth';

/** What the Admin API needs to know about a plugin: its config schema and constraints. */
export interface PluginSchema {
  readonly name: string;
  readonly version: string;
  /** Execution order, higher first (Kong's PRIORITY). */
  readonly priority: number;
  /** Config schema with Kong's defaults. */
  readonly config: z.ZodObject;
  /** Protocols the plugin runs on (the `protocols` default). */
  readonly protocols: readonly string[];
  /** Authentication plugins cannot be scoped to a consumer (Kong's `no_consumer`). */
  readonly noConsumer?: boolean;
  /** Config fields stored encrypted when the keyring is on (Kong's `encrypted = true`). */
  readonly encryptedFields?: readonly string[];
}

export const BUNDLED_PLUGINS: readonly PluginSchema[] = [keyAuth, basicAuth];

/** The plugins a node loads, from Kong's `plugins` setting (`bundled` and/or names). */
export class PluginRegistry extends SchemaRegistry<PluginSchema> {
  constructor(setting: readonly string[] = ['bundled'], available: readonly PluginSchema[] = BUNDLED_PLUGINS) {
    super({ setting: 'plugins', what: 'a plugin' }, setting, available);
  }
}
