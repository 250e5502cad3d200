import type { ConfigCheck } from '@keygate/config';
import { PluginRegistry } from './plugins/registry';
import { VaultSchemaRegistry } from './vaults/registry';

/** `plugins` and `vaults` name only what this build ships (the registries' own rule and texts). */
const registries: ConfigCheck = (config, settings) => {
  const issues = [];
  for (const [key, load] of [
    ['plugins', () => new PluginRegistry(config.plugins)],
    ['vaults', () => new VaultSchemaRegistry(config.vaults)],
  ] as const) {
    try {
      load();
    } catch (err) {
      issues.push({ key, source: settings.get(key)?.source, message: (err as Error).message.replace(`${key}: `, '') });
    }
  }
  return issues;
};

/**
 * Configuration rules that need the domain's catalogues, run by `loadConfig` next to
 * libs/config's own: every node start (libs/runtime) and `keygate check` / `config check`
 * apply the same ones.
 */
export const SETTING_CHECKS: readonly ConfigCheck[] = [registries];
