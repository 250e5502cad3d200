import type { EntryStatus } from '../cache';
import type { ReferenceHealth } from '../remote/protocol';

export type { ReferenceHealth };
import { VaultError } from '../errors';
import type { Resolution, SecretResolver } from '../resolver';


export interface ReferenceHealthOptions {
  /** Option names whose values are secrets (the backends' encrypted fields: `token`, ...). */
  readonly secretOptions: readonly string[];
  /** References followed at most; the least recently used are dropped. @defaultValue 500 */
  readonly limit?: number;
  /** References nobody asked for in this long are dropped (as the cache drops idle entries). @defaultValue 1 hour */
  readonly idleMs?: number;
  readonly now?: () => number;
}

interface Tracked {
  lastUsed: number;
  failed: boolean;
  stale: boolean;
  staleServed: number;
  error?: { code: string; message: string; at: number };
}

const MAX_MESSAGE = 300;

/**
 * Follows the references nodes ask the vault-resolver for (its API goes through `resolve`) and
 * reports each with its cache entry's state. Only references, backend names, times, counts and
 * error messages (which the backends build without values) are kept.
 */
export class ReferenceHealthTracker {
  readonly #tracked = new Map<string, Tracked>();
  readonly #now: () => number;
  readonly #secretOption: RegExp | undefined;

  constructor(
    private readonly resolver: SecretResolver,
    private readonly options: ReferenceHealthOptions,
  ) {
    this.#now = options.now ?? Date.now;
    const names = options.secretOptions.map((n) => n.replace(/[^a-z0-9_]/gi, ''));
    this.#secretOption = names.length > 0 ? new RegExp(`([?&](?:${names.join('|')})=)[^&#}]*`, 'gi') : undefined;
  }

  async resolve(reference: string): Promise<Resolution> {
    const tracked = this.#touch(reference);
    try {
      const resolution = await this.resolver.resolve(reference);
      tracked.failed = false;
      tracked.stale = resolution.stale;
      if (resolution.stale) tracked.staleServed++;
      else tracked.error = undefined;
      return resolution;
    } catch (err) {
      const code = err instanceof VaultError ? err.code : 'VAULT_BACKEND';
      tracked.failed = true;
      tracked.stale = false;
      tracked.error = { code, message: String((err as Error).message).slice(0, MAX_MESSAGE), at: this.#now() };
      throw err;
    }
  }

  report(): ReferenceHealth[] {
    const now = this.#now();
    const idleMs = this.options.idleMs ?? 3_600_000;
    const entries = new Map<string, EntryStatus>(this.resolver.cache.entries().map((e) => [e.key, e]));
    const out: ReferenceHealth[] = [];
    for (const [reference, tracked] of this.#tracked) {
      if (now - tracked.lastUsed >= idleMs) {
        this.#tracked.delete(reference);
        continue;
      }
      const bound = this.resolver.describe(reference);
      const entry = bound ? entries.get(bound.entryKey) : undefined;
      out.push({
        reference: this.#display(reference),
        backend: bound?.backend ?? null,
        vault_prefix: bound?.prefix ?? null,
        cached: entry?.cached ?? false,
        refreshed_at: entry?.fetched_at ?? null,
        expires_at: entry?.expires_at ?? null,
        failing: tracked.failed,
        stale: tracked.stale,
        stale_served: tracked.staleServed,
        last_used_at: tracked.lastUsed,
        last_error: this.#lastError(tracked, entry),
      });
    }
    return out.sort((a, b) => a.reference.localeCompare(b.reference));
  }

  /** The newer of this reference's own failure (a missing key, a bad reference) and its entry's (the backend's). */
  #lastError(tracked: Tracked, entry: EntryStatus | undefined): ReferenceHealth['last_error'] {
    // A failure older than the last good read is over.
    const own = tracked.error && !(entry?.fetched_at !== undefined && entry.fetched_at > tracked.error.at) ? tracked.error : undefined;
    const backend = entry?.last_error ? { code: 'VAULT_BACKEND', message: entry.last_error.message.slice(0, MAX_MESSAGE), at: entry.last_error.at } : undefined;
    if (own && backend) return own.at >= backend.at ? own : backend;
    return own ?? backend ?? null;
  }

  #touch(reference: string): Tracked {
    let tracked = this.#tracked.get(reference);
    if (tracked) this.#tracked.delete(reference);
    else tracked = { lastUsed: 0, failed: false, stale: false, staleServed: 0 };
    tracked.lastUsed = this.#now();
    // Re-inserted last: the map's first key is the least recently used.
    this.#tracked.set(reference, tracked);
    const limit = this.options.limit ?? 500;
    while (this.#tracked.size > limit) this.#tracked.delete(this.#tracked.keys().next().value as string);
    return tracked;
  }

  #display(reference: string): string {
    return this.#secretOption ? reference.replace(this.#secretOption, '$1[REDACTED]') : reference;
  }
}
