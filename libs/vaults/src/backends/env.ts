import { envVault } from '@keygate/entities';
import { secretNotFound } from '../errors';
import type { VaultBackend } from './backend';

/** Kong's env vault: `prefix` + resource, `-` -> `_`, upper-cased; `#2` reads `<NAME>_PREVIOUS`. */
export function environmentVariableName(prefix: unknown, resource: string, version: number | undefined): string {
  const name = `${typeof prefix === 'string' ? prefix : ''}${resource}`.replace(/-/g, '_').toUpperCase();
  return version === 2 ? `${name}_PREVIOUS` : name;
}

export const envBackend: VaultBackend = {
  schema: envVault,
  connect: (config, context) => ({
    read: async (resource, version) => {
      const name = environmentVariableName(config.prefix, resource, version);
      const value = context.env[name];
      if (value === undefined) throw secretNotFound(`environment variable ${name} is not set`);
      return value;
    },
  }),
};
