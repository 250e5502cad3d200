import type { z } from 'zod';
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
export class PluginRegistry {
  readonly #plugins = new Map<string, PluginSchema>();

  constructor(setting: readonly string[] = ['bundled'], available: readonly PluginSchema[] = BUNDLED_PLUGINS) {
    const byName = new Map(available.map((p) => [p.name, p]));
    for (const entry of setting) {
      if (entry === 'off') continue;
      if (entry === 'bundled') {
        for (const plugin of BUNDLED_PLUGINS) this.#plugins.set(plugin.name, plugin);
        continue;
      }
      const plugin = byName.get(entry);
      if (!plugin) throw new Error(`plugins: '${entry}' is not a plugin Keygate knows (available: ${[...byName.keys()].join(', ')})`);
      this.#plugins.set(plugin.name, plugin);
    }
  }

  get(name: string): PluginSchema | undefined {
    return this.#plugins.get(name);
  }

  names(): string[] {
    return [...this.#plugins.keys()].sort();
  }

  all(): PluginSchema[] {
    return [...this.#plugins.values()];
  }
}
