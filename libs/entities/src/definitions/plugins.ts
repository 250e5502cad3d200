import { z } from 'zod';
import type { Entity, EntityDefinition } from '../definition';
import { issuesToFields } from '../schema/zod-errors';
import { inferFormValue } from '../schema/introspect';
import type { FieldErrors } from '../schema/errors';
import { bool, foreign, oneOf, PROTOCOLS, set, str, utf8Name } from '../schema/fields';
import type { PluginRegistry } from '../plugins/registry';
import { baseFields, nullable, tagsField, updatedAt } from './common';

const SCOPES = ['route', 'service', 'consumer'] as const;

/** Kong's `cache_key`: one plugin of a name per (route, service, consumer) scope. */
export function pluginCacheKey(entity: Entity): string {
  const id = (field: string) => (entity[field] as { id?: string } | null | undefined)?.id ?? '';
  return `plugins:${String(entity.name)}:${id('route')}:${id('service')}:${id('consumer')}::`;
}

/**
 * The plugins entity. Its `config` depends on `name`: the named plugin's schema fills the
 * defaults and validates, and errors are reported under `config.<field>` as Kong does.
 */
export function pluginsDefinition(registry: PluginRegistry): EntityDefinition {
  const schema = z
      .object({
        ...baseFields,
        ...updatedAt,
        name: str().min(1, { error: 'length must be at least 1' }),
        instance_name: nullable(utf8Name()),
        config: z.record(z.string(), z.unknown(), { error: (i) => (i.input === undefined ? undefined : 'expected a record') }).default({}),
        protocols: nullable(set(oneOf(PROTOCOLS))),
        enabled: bool().default(true),
        ...tagsField,
        ordering: nullable(z.record(z.string(), z.unknown())),
        route: nullable(foreign()),
        service: nullable(foreign()),
        consumer: nullable(foreign()),
      })
      .strict();
  return {
    name: 'plugins',
    schema,
    endpointKey: 'instance_name',
    foreignKeys: [
      { field: 'route', entity: 'routes', column: 'route_id' },
      { field: 'service', entity: 'services', column: 'service_id' },
      { field: 'consumer', entity: 'consumers', column: 'consumer_id' },
    ],
    jsonColumns: ['config', 'ordering'],
    hasUpdatedAt: true,
    finalize: (entity) => {
      const plugin = registry.get(String(entity.name));
      if (!plugin) return { name: `plugin '${String(entity.name)}' not enabled; add it to the 'plugins' configuration property` };
      const errors: FieldErrors = {};
      if (plugin.noConsumer && entity.consumer != null) errors.consumer = 'value must be null';
      const config = plugin.config.safeParse(entity.config ?? {}, { reportInput: true });
      if (!config.success) errors.config = issuesToFields(config.error.issues);
      else entity.config = config.data;
      entity.protocols ??= [...plugin.protocols];
      return Object.keys(errors).length > 0 ? errors : undefined;
    },
    inferForm: (input, existing) => {
      const inferred = inferFormValue(schema, input) as Record<string, unknown>;
      const plugin = registry.get(String(inferred.name ?? existing?.name));
      if (plugin && typeof inferred.config === 'object' && inferred.config !== null) {
        inferred.config = inferFormValue(plugin.config, inferred.config);
      }
      return inferred;
    },
    encryptedColumns: ['config'],
    encryptedFields: (entity) => (registry.get(String(entity.name))?.encryptedFields ?? []).map((field) => `config.${field}`),
    derived: (entity) => ({ cache_key: pluginCacheKey(entity) }),
    subschemas: {
      noun: 'plugin',
      get: (name) => {
        const plugin = registry.get(name);
        return plugin && { config: plugin.config, protocols: plugin.protocols, protocolChoices: PROTOCOLS, ...(plugin.noConsumer ? { noConsumer: true } : {}) };
      },
    },
    derivedUniqueFields: { cache_key: ['name', ...SCOPES] },
  };
}
