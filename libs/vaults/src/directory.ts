import { BUNDLED_VAULTS } from '@keygate/entities';
import type { VaultBackend } from './backends/backend';
import { VaultError } from './errors';
import type { ParsedReference } from './reference';
import { effectiveConfig, globalOptions, type EffectiveConfig } from './vault-config';

/** A `/vaults` entity as the resolver needs it (config decrypted). */
export interface VaultEntity {
  readonly prefix: string;
  readonly name: string;
  readonly config: Readonly<Record<string, unknown>>;
}

export type VaultEntityLookup = (prefix: string) => Promise<VaultEntity | undefined>;

export interface VaultDirectoryOptions {
  /** Loaded backends by name (the `vaults` setting). */
  readonly backends: ReadonlyMap<string, VaultBackend>;
  /** `vault_<name>_<field>` settings. */
  readonly vaultOptions: Readonly<Record<string, string>>;
  /** Finds a `/vaults` entity by prefix; absent where there is no database (config at start). */
  readonly entities?: VaultEntityLookup;
  /** How long a looked-up entity is trusted without a change event. @defaultValue 10000 */
  readonly entityTtlMs?: number;
  readonly now?: () => number;
}

export interface LocatedVault {
  readonly backend: VaultBackend;
  readonly effective: EffectiveConfig;
  /** The entity's prefix when the reference names one. */
  readonly prefix?: string;
}

/** Finds which backend and effective config a reference's `<name>` means: a backend, or a `/vaults` prefix. */
export class VaultDirectory {
  readonly #entities = new Map<string, { at: number; entity: Promise<VaultEntity | undefined> }>();

  constructor(private readonly options: VaultDirectoryOptions) {}

  async locate(ref: ParsedReference): Promise<LocatedVault> {
    const backend = this.options.backends.get(ref.name);
    if (backend) {
      const effective = effectiveConfig(backend, { globals: globalOptions(this.options.vaultOptions, ref.name), overrides: ref.options, reference: ref.reference });
      return { backend, effective };
    }
    const entity = await this.#entity(ref.name);
    if (!entity) {
      const bundled = BUNDLED_VAULTS.some((v) => v.name === ref.name);
      throw new VaultError(
        'VAULT_NOT_FOUND',
        bundled
          ? `vault ${ref.name} is not loaded (add it to the vaults setting; loaded: ${[...this.options.backends.keys()].join(', ') || 'none'})`
          : `could not find vault (${ref.name})${this.options.entities ? '' : ': vault entities are not available here; use a backend name (env, aws, hcv)'}`,
      );
    }
    const entityBackend = this.options.backends.get(entity.name);
    if (!entityBackend) throw new VaultError('VAULT_NOT_FOUND', `vault ${ref.name} uses backend ${entity.name}, which is not loaded (vaults setting)`);
    const effective = effectiveConfig(entityBackend, {
      globals: globalOptions(this.options.vaultOptions, entity.name),
      entity: entity.config,
      overrides: ref.options,
      reference: ref.reference,
    });
    return { backend: entityBackend, effective, prefix: entity.prefix };
  }

  /** A `/vaults` entity changed: look it up again next time. */
  forget(prefix?: string): void {
    if (prefix === undefined) this.#entities.clear();
    else this.#entities.delete(prefix);
  }

  #entity(prefix: string): Promise<VaultEntity | undefined> {
    const lookup = this.options.entities;
    if (!lookup) return Promise.resolve(undefined);
    const now = (this.options.now ?? Date.now)();
    const cached = this.#entities.get(prefix);
    if (cached && now - cached.at < (this.options.entityTtlMs ?? 10_000)) return cached.entity;
    const entity = lookup(prefix).catch((err: unknown) => {
      this.#entities.delete(prefix);
      throw new VaultError('VAULT_NOT_FOUND', `could not find vault (${prefix}): ${(err as Error).message}`, { cause: err });
    });
    this.#entities.set(prefix, { at: now, entity });
    return entity;
  }
}
