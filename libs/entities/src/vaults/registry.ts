import { SchemaRegistry } from '../schema/registry';
import { awsVault } from './aws';
import { envVault } from './env';
import { hcvVault } from './hcv';
import type { VaultSchema } from './schema';

/** Kong's bundled vaults; `gcp` and `azure` are known names that this version does not ship yet. */
export const BUNDLED_VAULTS: readonly VaultSchema[] = [envVault, awsVault, hcvVault];
export const PLANNED_VAULTS: readonly string[] = ['gcp', 'azure'];

/** The vault backends a node loads, from Kong's `vaults` setting (`bundled` and/or names). */
export class VaultSchemaRegistry extends SchemaRegistry<VaultSchema> {
  constructor(setting: readonly string[] = ['bundled'], available: readonly VaultSchema[] = BUNDLED_VAULTS) {
    super({ setting: 'vaults', what: 'a vault backend', planned: PLANNED_VAULTS }, setting, available);
  }
}
