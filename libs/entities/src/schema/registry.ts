/** What a list setting (`plugins`, `vaults`) chooses from: a name per schema. */
export interface Named {
  readonly name: string;
}

export interface RegistryKind {
  /** The setting, for errors: `plugins`. */
  readonly setting: string;
  /** One of them, for errors: `a plugin`. */
  readonly what: string;
  /** Known names this version does not ship yet (their error says so). */
  readonly planned?: readonly string[];
}

/**
 * The schemas a node loads from one of Kong's list settings: `bundled` (every available one),
 * `off`, and names. Plugins and vault backends both use it; an unknown name fails at start.
 */
export class SchemaRegistry<T extends Named> {
  readonly #loaded = new Map<string, T>();

  constructor(kind: RegistryKind, setting: readonly string[], available: readonly T[]) {
    const byName = new Map(available.map((s) => [s.name, s]));
    for (const entry of setting) {
      if (entry === 'off') continue;
      if (entry === 'bundled') {
        for (const schema of available) this.#loaded.set(schema.name, schema);
        continue;
      }
      const schema = byName.get(entry);
      if (!schema) {
        const planned = kind.planned?.includes(entry) ? ' (not available in this version yet)' : '';
        throw new Error(`${kind.setting}: '${entry}' is not ${kind.what} Keygate knows${planned} (available: ${[...byName.keys()].join(', ')})`);
      }
      this.#loaded.set(schema.name, schema);
    }
  }

  get(name: string): T | undefined {
    return this.#loaded.get(name);
  }

  /** The loaded names, sorted. */
  names(): string[] {
    return [...this.#loaded.keys()].sort();
  }

  all(): T[] {
    return [...this.#loaded.values()];
  }
}
