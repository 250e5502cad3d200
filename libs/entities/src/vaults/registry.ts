import { awsVault } from './aws';
import { envVault } from './env';
import { hcvVault } from './hcv';
import type { VaultSchema } from './schema';

/** Kong's bundled vaults; `gcp` and `azure` are known names that this version does not ship yet. */
export const BUNDLED_VAULTS: readonly VaultSchema[] = [envVault, awsVault, hcvVault];
export const PLANNED_VAULTS: readonly string[] = ['gcp', 'azure'];

/** The vault backends a node loads, from Kong's `vaults` setting (`bundled` and/or names). */
export class VaultSchemaRegistry {
  readonly #vaults = new Map<string, VaultSchema>();

  constructor(setting: readonly string[] = ['bundled'], available: readonly VaultSchema[] = BUNDLED_VAULTS) {
    const byName = new Map(available.map((v) => [v.name, v]));
    for (const entry of setting) {
      if (entry === 'off') continue;
      if (entry === 'bundled') {
        for (const vault of available) this.#vaults.set(vault.name, vault);
        continue;
      }
      const vault = byName.get(entry);
      if (!vault) {
        const planned = PLANNED_VAULTS.includes(entry) ? ' (not available in this version yet)' : '';
        throw new Error(`vaults: '${entry}' is not a vault backend Keygate knows${planned} (available: ${[...byName.keys()].join(', ')})`);
      }
      this.#vaults.set(vault.name, vault);
    }
  }

  get(name: string): VaultSchema | undefined {
    return this.#vaults.get(name);
  }

  names(): string[] {
    return [...this.#vaults.keys()];
  }
}
