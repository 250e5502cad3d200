import { Secret } from '@keygate/crypto';
import type { BackendContext, SecretReader, VaultBackend } from './backends/backend';
import { SecretCache } from './cache';
import { VaultDirectory, type LocatedVault, type VaultEntityLookup } from './directory';
import { VaultError } from './errors';
import { LogOnce } from './log-once';
import { parseReference, type ParsedReference } from './reference';

export interface SecretResolverOptions {
  /** Loaded backends by name (`loadedBackends(...)`). */
  readonly backends: ReadonlyMap<string, VaultBackend>;
  /** `vault_<name>_<field>` settings. */
  readonly vaultOptions: Readonly<Record<string, string>>;
  readonly context: BackendContext;
  /** `/vaults` entities by prefix; absent where there is no database. */
  readonly entities?: VaultEntityLookup;
  /**
   * The rotation interval (`vault_rotation_interval`): failed reads are retried at most this
   * often and a failing reference logs at most once per interval. @defaultValue 60000
   */
  readonly intervalMs?: number;
  readonly now?: () => number;
}

/** A resolved reference. */
export interface Resolution {
  readonly value: Secret<string>;
  /** Served past its TTL because the backend failed (`resurrect_ttl`). */
  readonly stale: boolean;
  /** When the value should be asked for again (absent: never, `ttl = 0`). */
  readonly expiresAt?: number;
  /** The reference's TTL in ms (absent: no rotation). */
  readonly ttlMs?: number;
}

interface Binding {
  readonly parsed: ParsedReference;
  readonly located: LocatedVault;
  readonly entryKey: string;
  readonly ttlMs: number;
}

export type ReferencesChanged = (references: readonly string[]) => void;

/**
 * Resolves `{vault://...}` references: parse, find the vault (backend or `/vaults` prefix),
 * read the resource through the TTL cache (one backend call for `db/pg_user` and
 * `db/pg_password`), then pick the key from the JSON value.
 */
export class SecretResolver {
  readonly cache: SecretCache;
  readonly directory: VaultDirectory;
  readonly #readers = new Map<string, SecretReader>();
  readonly #bindings = new Map<string, Binding>();
  readonly #parsedJson = new WeakMap<Secret<string>, unknown>();
  readonly #listeners = new Set<ReferencesChanged>();
  readonly #logOnce: LogOnce;
  readonly #now: () => number;

  constructor(private readonly options: SecretResolverOptions) {
    this.#now = options.now ?? Date.now;
    const intervalMs = options.intervalMs ?? 60_000;
    this.cache = new SecretCache({ now: this.#now, negativeFloorMs: Math.min(intervalMs, 60_000) });
    this.directory = new VaultDirectory({ backends: options.backends, vaultOptions: options.vaultOptions, ...(options.entities ? { entities: options.entities } : {}), now: this.#now });
    this.#logOnce = new LogOnce(intervalMs, this.#now);
    this.cache.onChange((entryKey) => {
      const references = this.referencesOf(entryKey);
      if (references.length > 0) for (const listener of this.#listeners) listener(references);
    });
  }

  async resolve(reference: string): Promise<Resolution> {
    const binding = this.#bindings.get(reference) ?? (await this.#bind(reference));
    const { located } = binding;
    const cached = await this.cache.get(binding.entryKey, located.effective.ttl, () => this.#read(binding, located.backend, located.effective.config, located.effective.hash));
    if (cached.stale && this.#logOnce.allow(`stale:${binding.entryKey}`)) {
      this.options.context.logger.warn(
        { reference, error: cached.error?.message },
        'vault backend failed; serving the last good value of this reference until resurrect_ttl',
      );
    }
    const value = binding.parsed.key === undefined ? cached.value : this.#pick(cached.value, binding.parsed.key);
    const ttlMs = located.effective.ttl.ttlMs;
    return { value, stale: cached.stale, ...(Number.isFinite(ttlMs) ? { ttlMs, expiresAt: this.#now() + ttlMs } : {}) };
  }

  /**
   * Re-reads every entry whose TTL expired (the rotation timer), or those `include` accepts by
   * their references; returns the references whose value changed.
   */
  async refreshDue(include?: (references: readonly string[]) => boolean): Promise<{ readonly refreshed: number; readonly failed: number; readonly changed: readonly string[] }> {
    const due = this.cache.due().filter((key) => !include || include(this.referencesOf(key)));
    let failed = 0;
    const changed: string[] = [];
    for (const key of due) {
      const outcome = await this.cache.refresh(key);
      if (outcome?.error) {
        failed++;
        if (this.#logOnce.allow(`refresh:${key}`)) {
          this.options.context.logger.warn({ references: this.referencesOf(key), error: outcome.error.message }, 'cannot refresh vault reference; keeping the last good value');
        }
      } else if (outcome?.changed) changed.push(...this.referencesOf(key));
    }
    for (const key of this.cache.prune()) this.#unbind(key);
    return { refreshed: due.length, failed, changed };
  }

  /** Re-reads the resource behind one reference now (a `secret-refresh` job). */
  async refresh(reference: string): Promise<{ readonly changed: boolean; readonly error?: Error }> {
    const binding = await this.#bind(reference);
    if (!this.cache.has(binding.entryKey)) {
      await this.resolve(reference);
      return { changed: false };
    }
    return (await this.cache.refresh(binding.entryKey)) ?? { changed: false };
  }

  /** Listens for references whose value a refresh found changed. */
  onChange(listener: ReferencesChanged): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * A `/vaults` entity changed (or, without a prefix, any of them): references through it are
   * looked up and read again. Returns those references.
   */
  forgetVault(prefix?: string): readonly string[] {
    this.directory.forget(prefix);
    const affected = [...this.#bindings.values()].filter((b) => b.located.prefix !== undefined && (prefix === undefined || b.located.prefix === prefix));
    for (const binding of affected) {
      this.cache.delete(binding.entryKey);
      this.#bindings.delete(binding.parsed.reference);
    }
    return affected.map((b) => b.parsed.reference);
  }

  /** What a reference was bound to at its first lookup (backend, `/vaults` prefix, cache entry); never a value. */
  describe(reference: string): { readonly backend: string; readonly prefix?: string; readonly entryKey: string } | undefined {
    const binding = this.#bindings.get(reference);
    if (!binding) return undefined;
    return { backend: binding.located.backend.schema.name, entryKey: binding.entryKey, ...(binding.located.prefix !== undefined ? { prefix: binding.located.prefix } : {}) };
  }

  referencesOf(entryKey: string): string[] {
    return [...this.#bindings.values()].filter((b) => b.entryKey === entryKey).map((b) => b.parsed.reference);
  }

  /** TTL of a reference already resolved (ms), for schedulers. */
  ttlOf(reference: string): number | undefined {
    const ttl = this.#bindings.get(reference)?.ttlMs;
    return ttl !== undefined && Number.isFinite(ttl) ? ttl : undefined;
  }

  close(): void {
    for (const reader of this.#readers.values()) reader.close?.();
    this.#readers.clear();
  }

  async #bind(reference: string): Promise<Binding> {
    const known = this.#bindings.get(reference);
    if (known) return known;
    const parsed = parseReference(reference);
    const located = await this.directory.locate(parsed);
    const name = located.backend.schema.name;
    const binding: Binding = {
      parsed,
      located,
      entryKey: `${name}:${located.effective.hash}:${parsed.resource}#${parsed.version ?? ''}`,
      ttlMs: located.effective.ttl.ttlMs,
    };
    for (const ignored of located.effective.ignored) {
      if (this.#logOnce.allow(`ignored:${ignored}`)) this.options.context.logger.warn({ reference }, `${ignored} is not a ${name} vault setting; ignored`);
    }
    this.#bindings.set(reference, binding);
    return binding;
  }

  #unbind(entryKey: string): void {
    for (const [reference, binding] of this.#bindings) if (binding.entryKey === entryKey) this.#bindings.delete(reference);
  }

  #read(binding: Binding, backend: VaultBackend, config: Readonly<Record<string, unknown>>, hash: string): Promise<string> {
    let reader = this.#readers.get(hash);
    if (!reader) {
      reader = backend.connect(config, this.options.context);
      this.#readers.set(hash, reader);
    }
    return reader.read(binding.parsed.resource, binding.parsed.version);
  }

  /** Kong's subfield lookup in a JSON object secret (flat maps only). */
  #pick(value: Secret<string>, key: string): Secret<string> {
    let json = this.#parsedJson.get(value);
    if (json === undefined) {
      try {
        json = JSON.parse(value.reveal());
      } catch {
        json = null;
      }
      this.#parsedJson.set(value, json);
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new VaultError('VAULT_SECRET_NOT_FOUND', `could not get subfield value: the secret is not a JSON object, so it has no key ${key}`);
    }
    const field = (json as Record<string, unknown>)[key];
    if (field === undefined) throw new VaultError('VAULT_SECRET_NOT_FOUND', `could not get subfield value: subfield ${key} not found in JSON secret`);
    if (typeof field !== 'string') throw new VaultError('VAULT_SECRET_NOT_FOUND', `could not get subfield value: unexpected ${field === null ? 'null' : typeof field} value in JSON secret for subfield ${key}`);
    return new Secret(field);
  }
}
