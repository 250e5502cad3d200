import { createHash } from 'node:crypto';
import { inferFormValue, issuesToFields, type FieldErrors } from '@keygate/entities';
import { VaultError } from './errors';
import type { VaultBackend, VaultConfig } from './backends/backend';

/** Kong's `ttl` semantics in milliseconds. */
export interface TtlSettings {
  /** How long a value is fresh; Infinity for `ttl = 0`/unset (never re-read). */
  readonly ttlMs: number;
  /** How long a failed lookup is remembered (`neg_ttl`, unset: `ttl`). */
  readonly negTtlMs: number;
  /** How long the last good value is served after `ttl` while the backend fails (default 1e8 s). */
  readonly resurrectMs: number;
}

export const MAX_TTL_SECONDS = 1e8;

export interface EffectiveConfig {
  readonly config: VaultConfig;
  /** Identifies the config (fields and values) without revealing it: part of cache keys. */
  readonly hash: string;
  readonly ttl: TtlSettings;
  /** Settings that were ignored (unknown fields), for a warning. */
  readonly ignored: readonly string[];
}

export interface ConfigLayers {
  /** `vault_<name>_<field>` settings (kong.conf / `KONG_VAULT_*`), text as written. */
  readonly globals: Readonly<Record<string, string>>;
  /** A `/vaults` entity's config (defaults already filled in), for references by prefix. */
  readonly entity?: Readonly<Record<string, unknown>>;
  /** The reference's query options (`?ttl=5`). */
  readonly overrides: Readonly<Record<string, string>>;
  /** Where the reference came from, for messages. */
  readonly reference: string;
}

/** The `vault_<backend>_<field>` settings of one backend, by field (`-` in names read as `_`, as Kong). */
export function globalOptions(vaultOptions: Readonly<Record<string, string>>, backend: string): Record<string, string> {
  const prefix = `vault_${backend.replace(/-/g, '_')}_`;
  return Object.fromEntries(Object.entries(vaultOptions).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
}

/**
 * A vault's effective config, lowest to highest: the schema's defaults, `vault_<name>_<field>`
 * settings (for a `/vaults` entity only the fields its config leaves unset), the entity's config,
 * then the reference's query options. Invalid values are errors naming the setting (Kong drops
 * them silently); unknown fields are reported in `ignored`.
 */
export function effectiveConfig(backend: VaultBackend, layers: ConfigLayers): EffectiveConfig {
  const schema = backend.schema;
  const fields = Object.keys(schema.config.shape);
  const ignored: string[] = [];
  const known = (source: Readonly<Record<string, string>>, label: (field: string) => string) => {
    const picked: Record<string, string> = {};
    for (const [field, value] of Object.entries(source)) {
      if (fields.includes(field)) picked[field] = value;
      else ignored.push(label(field));
    }
    return inferFormValue(schema.config, picked) as Record<string, unknown>;
  };
  const globals = known(layers.globals, (f) => `vault_${schema.name}_${f}`);
  const overrides = known(layers.overrides, (f) => `option '${f}' of ${layers.reference}`);
  const entity = layers.entity ?? {};
  const unsetInEntity = Object.fromEntries(Object.entries(globals).filter(([f]) => entity[f] === undefined || entity[f] === null));
  const merged = { ...(layers.entity ? unsetInEntity : globals), ...withoutNulls(entity), ...overrides };

  const parsed = schema.config.safeParse(merged, { reportInput: true });
  const errors: FieldErrors | undefined = parsed.success ? schema.check?.(parsed.data) : issuesToFields(parsed.error.issues);
  if (!parsed.success || errors) {
    const where = (field: string) =>
      field in overrides ? `option '${field}' of the reference` : field in entity ? `config.${field} of the vault entity` : field in globals ? `vault_${schema.name}_${field}` : field;
    const detail = Object.entries(errors ?? {})
      .map(([field, message]) => `${where(field)}: ${typeof message === 'string' ? message : JSON.stringify(message)}`)
      .join('; ');
    throw new VaultError('VAULT_CONFIG_INVALID', `invalid ${schema.name} vault configuration (${detail})`);
  }
  const config = Object.freeze(parsed.data as Record<string, unknown>);
  return { config, hash: hashConfig(schema.name, config), ttl: ttlSettings(config), ignored };
}

function withoutNulls(record: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== null && v !== undefined));
}

function hashConfig(name: string, config: Readonly<Record<string, unknown>>): string {
  const canonical = JSON.stringify(Object.keys(config).sort().map((k) => [k, config[k]]));
  return createHash('sha256').update(`${name};${canonical}`).digest('base64url').slice(0, 22);
}

function ttlSettings(config: Readonly<Record<string, unknown>>): TtlSettings {
  const seconds = (v: unknown) => (typeof v === 'number' ? v : undefined);
  const ttl = seconds(config.ttl) ?? 0;
  const ttlMs = ttl > 0 ? ttl * 1000 : Infinity;
  return {
    ttlMs,
    negTtlMs: (seconds(config.neg_ttl) ?? ttl) * 1000,
    resurrectMs: (seconds(config.resurrect_ttl) ?? MAX_TTL_SECONDS) * 1000,
  };
}
