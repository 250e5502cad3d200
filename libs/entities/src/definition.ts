import type { z } from 'zod';
import type { FieldErrors } from './schema/errors';

export interface ForeignKey {
  /** Field in the entity (`service`), shown as `{"id": ...}`. */
  readonly field: string;
  /** Referenced entity (`services`). */
  readonly entity: string;
  /** Column holding the id (`service_id`). */
  readonly column: string;
}

/** A digest column: of which field, for which purpose (domain separation inside the MAC). */
export interface DigestColumn {
  readonly field: string;
  readonly purpose: string;
}

export type Entity = Record<string, unknown> & { id: string };

export type Expanded = { readonly ok: true; readonly value: Record<string, unknown> } | { readonly ok: false; readonly errors: FieldErrors };

/**
 * A schema an entity's `name` selects (a plugin's or a vault backend's), as shown by
 * `/schemas/plugins/{name}` and `/schemas/vaults/{name}`.
 */
export interface Subschema {
  readonly config: z.ZodObject;
  /** Default `protocols` (plugins). */
  readonly protocols?: readonly string[];
  /** The protocols `protocols` may name; default: `protocols`. */
  readonly protocolChoices?: readonly string[];
  /** The plugin cannot be scoped to a consumer (Kong's `no_consumer`). */
  readonly noConsumer?: boolean;
}

/** The subschemas of an entity (plugins, vaults) and how errors name one (`plugin`, `vault`). */
export interface Subschemas {
  readonly noun: string;
  get(name: string): Subschema | undefined;
}

/** Context a definition may need to validate (which plugins are enabled, ...). */
export interface ValidationContext {
  readonly operation: 'insert' | 'update' | 'upsert';
}

/**
 * Everything the generic DAO and Admin API need to know about one Kong entity. Schemas are
 * zod objects with Kong's defaults; `check` adds Kong's whole-entity rules (`@entity`).
 */
export interface EntityDefinition {
  /** Kong's entity name = table name = Admin API collection (`services`). */
  readonly name: string;
  /** Admin API collection when it differs from the name (`basic-auths`). */
  readonly collectionPath?: string;
  /** Path under a parent (`/consumers/{c}/basic-auth`); default: `collectionPath`. */
  readonly nestedPath?: string;
  readonly schema: z.ZodObject;
  /** Alternative key in URLs (`/services/{name}`). */
  readonly endpointKey?: string;
  readonly foreignKeys: readonly ForeignKey[];
  /** Columns stored as JSONB. */
  readonly jsonColumns: readonly string[];
  readonly hasUpdatedAt: boolean;
  /** Rewrites shorthand input (a service's `url`) before validation. */
  readonly expand?: (input: Record<string, unknown>) => Expanded;
  /**
   * Kong's entity checks, run after field validation; may complete the entity (a plugin's
   * config defaults). Returns field errors, if any.
   */
  readonly finalize?: (entity: Entity, ctx: ValidationContext) => FieldErrors | undefined;
  /** Infers types of a form-encoded body when the schema alone cannot (a plugin's config). */
  readonly inferForm?: (input: Record<string, unknown>, existing?: Entity) => Record<string, unknown>;
  /**
   * Rewrites input before validation, with the stored entity on PATCH (basic-auth hashes a new
   * password; an unchanged one is left alone).
   */
  readonly transform?: (input: Record<string, unknown>, existing?: Entity) => Record<string, unknown>;
  /**
   * Fields stored encrypted when the keyring is on (dotted paths reach into JSON columns:
   * `config.token`). The Admin API shows them decrypted; only the table holds ciphertext.
   */
  readonly encryptedFields?: readonly string[] | ((entity: Entity) => readonly string[]);
  /**
   * Columns that may hold encrypted values, for scans that cannot evaluate `encryptedFields` per
   * row (key usage counts). Default: the first segment of each static encrypted field.
   */
  readonly encryptedColumns?: readonly string[];
  /** Columns computed from the entity (a plugin's `cache_key`). */
  readonly derived?: (entity: Entity) => Record<string, unknown>;
  /**
   * Columns holding a lookup digest of a secret field (`key_digest` of a key-auth key), computed
   * by the protector: keyed with the index key when the keyring is on.
   */
  readonly digests?: Readonly<Record<string, DigestColumn>>;
  /** Kong's `entity_checks`, as `GET /schemas/{entity}` shows them (`[{"at_least_one_of": [...]}]`). */
  readonly entityChecks?: ReadonlyArray<Record<string, unknown>>;
  /** Schemas selected by `name` (plugins, vaults): `/schemas/{entity}/{name}`. */
  readonly subschemas?: Subschemas;
  /**
   * Unique fields a collection GET filters on, answering the one match (Kong's
   * `GET /consumers?custom_id=`).
   */
  readonly lookupFilters?: readonly string[];
  /** The key shown in Kong's UNIQUE message for a derived unique column (`cache_key`). */
  readonly derivedUniqueFields?: Readonly<Record<string, readonly string[]>>;
}
