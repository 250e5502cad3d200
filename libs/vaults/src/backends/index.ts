import type { VaultSchemaRegistry } from '@keygate/entities';
import { awsBackend } from './aws';
import type { VaultBackend } from './backend';
import { envBackend } from './env';
import { hcvBackend } from './hcv';

export const BUNDLED_BACKENDS: readonly VaultBackend[] = [envBackend, awsBackend, hcvBackend];

/** The backends of the vaults the `vaults` setting loads. */
export function loadedBackends(registry: VaultSchemaRegistry, available: readonly VaultBackend[] = BUNDLED_BACKENDS): Map<string, VaultBackend> {
  return new Map(available.filter((b) => registry.get(b.schema.name) !== undefined).map((b) => [b.schema.name, b]));
}
