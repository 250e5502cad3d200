import { z } from 'zod';
import type { EntityDefinition } from '../definition';
import type { FieldErrors } from '../schema/errors';
import { inferFormValue } from '../schema/introspect';
import { nonEmptyString, str } from '../schema/fields';
import { issuesToFields } from '../schema/zod-errors';
import { BUNDLED_VAULTS, PLANNED_VAULTS, VaultSchemaRegistry } from '../vaults/registry';
import { baseFields, nullable, tagsField, updatedAt } from './common';

/** A prefix must work as the host part of `{vault://<prefix>/...}` (Kong: `^[a-z][a-z%d-]-[a-z%d]+$`). */
const PREFIX = /^[a-z][a-z0-9-]*[a-z0-9]$/;
const RESERVED = [...BUNDLED_VAULTS.map((v) => v.name), ...PLANNED_VAULTS];

/**
 * Kong's `vaults` entity: a named configuration of a backend, used in references by its
 * `prefix` (`{vault://my-aws/db/pg_user}`). `config` is validated by the backend's schema
 * (defaults filled in); its secret fields are stored encrypted when the keyring is on.
 */
export function vaultsDefinition(registry: VaultSchemaRegistry = new VaultSchemaRegistry()): EntityDefinition {
  const schema = z
    .object({
      ...baseFields,
      ...updatedAt,
      prefix: str()
        .refine((v) => PREFIX.test(v), { error: (issue) => `invalid value: ${String(issue.input)}` })
        .refine((v) => !RESERVED.includes(v), { error: `must not be one of: ${RESERVED.join(', ')}` }),
      name: nonEmptyString(),
      description: nullable(str()),
      config: z.record(z.string(), z.unknown(), { error: (i) => (i.input === undefined ? undefined : 'expected a record') }).default({}),
      ...tagsField,
    })
    .strict();
  return {
    name: 'vaults',
    schema,
    endpointKey: 'prefix',
    foreignKeys: [],
    jsonColumns: ['config'],
    hasUpdatedAt: true,
    finalize: (entity): FieldErrors | undefined => {
      const vault = registry.get(String(entity.name));
      if (!vault) return { name: `vault '${String(entity.name)}' is not installed` };
      const parsed = vault.config.safeParse(entity.config ?? {}, { reportInput: true });
      if (!parsed.success) return { config: issuesToFields(parsed.error.issues) };
      const errors: FieldErrors | undefined = vault.check?.(parsed.data);
      if (errors) return { config: errors };
      entity.config = parsed.data;
      return undefined;
    },
    inferForm: (input, existing) => {
      const inferred = inferFormValue(schema, input) as Record<string, unknown>;
      const vault = registry.get(String(inferred.name ?? existing?.name));
      if (vault && typeof inferred.config === 'object' && inferred.config !== null) inferred.config = inferFormValue(vault.config, inferred.config);
      return inferred;
    },
    subschemas: { noun: 'vault', get: (name) => registry.get(name) },
    encryptedColumns: ['config'],
    encryptedFields: (entity) => (registry.get(String(entity.name))?.encryptedFields ?? []).map((field) => `config.${field}`),
  };
}
