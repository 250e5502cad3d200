import { Secret } from '@keygate/crypto';
import type { TtlSettings } from './vault-config';

/** A value read from a backend, as the cache hands it out. */
export interface CachedSecret {
  readonly value: Secret<string>;
  /** Served after its TTL because the backend failed (within `resurrect_ttl`). */
  readonly stale: boolean;
  /** Why the last refresh failed, when `stale`. */
  readonly error?: Error;
}

export interface EntryStatus {
  readonly key: string;
  /** A value is held (fresh, or stale within `resurrect_ttl`). */
  readonly cached: boolean;
  readonly hits: number;
  readonly misses: number;
  readonly backend_calls: number;
  readonly fetched_at?: number;
  readonly expires_at?: number;
  readonly last_error?: { readonly message: string; readonly at: number };
}

interface Entry {
  readonly key: string;
  readonly fetch: () => Promise<string>;
  ttl: TtlSettings;
  value?: Secret<string>;
  fetchedAt?: number;
  expiresAt: number;
  staleUntil: number;
  error?: Error;
  errorAt?: number;
  retryAt: number;
  inflight?: Promise<void>;
  hits: number;
  misses: number;
  calls: number;
  lastUsed: number;
}

export interface SecretCacheOptions {
  readonly now?: () => number;
  /**
   * A failed read is not retried on lookups for at least this long, even with `neg_ttl = 0`,
   * so a bad reference asked for in a loop cannot flood its backend. @defaultValue 1000
   */
  readonly negativeFloorMs?: number;
  /** Entries nobody asked for in this long are dropped by `prune`. @defaultValue 1 hour */
  readonly idleMs?: number;
}

export type ChangeListener = (key: string) => void;

/**
 * Secrets by backend resource (`aws:<config hash>:db#1`), with Kong's TTL semantics: fresh for
 * `ttl`, then re-read; on failure the last good value is served until `ttl + resurrect_ttl`;
 * failures are remembered for `neg_ttl`. Concurrent lookups of an entry share one backend call.
 */
export class SecretCache {
  readonly #entries = new Map<string, Entry>();
  readonly #listeners = new Set<ChangeListener>();
  readonly #now: () => number;
  #hits = 0;
  #misses = 0;
  #calls = 0;
  #staleServed = 0;
  /** Failed backend reads by backend (the entry key's first part, e.g. `aws`). */
  readonly #errors = new Map<string, number>();

  constructor(private readonly options: SecretCacheOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  async get(key: string, ttl: TtlSettings, fetch: () => Promise<string>): Promise<CachedSecret> {
    const now = this.#now();
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = { key, fetch, ttl, expiresAt: 0, staleUntil: 0, retryAt: 0, hits: 0, misses: 0, calls: 0, lastUsed: now };
      this.#entries.set(key, entry);
    }
    entry.lastUsed = now;
    if (entry.value && now < entry.expiresAt) {
      entry.hits++;
      this.#hits++;
      return { value: entry.value, stale: false };
    }
    entry.misses++;
    this.#misses++;
    // A read that failed recently is not retried before `retryAt` (neg_ttl): lookups get the
    // stale value while it may be served, or the remembered error.
    const recentlyFailed = entry.error !== undefined && now < entry.retryAt;
    if (!recentlyFailed) await this.#refresh(entry);
    if (entry.value && this.#now() < entry.staleUntil) {
      const stale = this.#now() >= entry.expiresAt;
      if (stale) this.#staleServed++;
      return { value: entry.value, stale, ...(stale && entry.error ? { error: entry.error } : {}) };
    }
    throw entry.error ?? new Error('no value');
  }

  /** Re-reads an entry now (rotation); resolves to whether its value changed. */
  async refresh(key: string): Promise<{ readonly changed: boolean; readonly error?: Error } | undefined> {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    const before = entry.value;
    await this.#refresh(entry);
    if (entry.error) return { changed: false, error: entry.error };
    return { changed: before !== undefined && entry.value !== undefined && !before.equals(entry.value) };
  }

  /** Keys whose value passed its TTL, or whose failure may be retried: what a rotation re-reads. */
  due(now = this.#now()): string[] {
    return [...this.#entries.values()].filter((e) => (e.value ? now >= e.expiresAt : now >= e.retryAt)).map((e) => e.key);
  }

  /** Drops entries unused for `idleMs`; returns their keys. */
  prune(now = this.#now()): string[] {
    const idle = this.options.idleMs ?? 3_600_000;
    const dropped = [...this.#entries.values()].filter((e) => now - e.lastUsed >= idle && !e.inflight).map((e) => e.key);
    for (const key of dropped) this.#entries.delete(key);
    return dropped;
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  /** Called with the entry's key when a refresh finds a value different from the one held. */
  onChange(listener: ChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  stats(): { readonly entries: number; readonly hits: number; readonly misses: number; readonly backend_calls: number; readonly stale_served: number } {
    return { entries: this.#entries.size, hits: this.#hits, misses: this.#misses, backend_calls: this.#calls, stale_served: this.#staleServed };
  }

  /** Failed backend reads so far, by backend. */
  backendErrors(): ReadonlyMap<string, number> {
    return this.#errors;
  }

  /** Per entry counters and last error; never values. */
  entries(): EntryStatus[] {
    return [...this.#entries.values()].map((e) => ({
      key: e.key,
      cached: e.value !== undefined,
      hits: e.hits,
      misses: e.misses,
      backend_calls: e.calls,
      ...(e.fetchedAt !== undefined ? { fetched_at: e.fetchedAt } : {}),
      ...(e.value && Number.isFinite(e.expiresAt) ? { expires_at: e.expiresAt } : {}),
      ...(e.error && e.errorAt !== undefined ? { last_error: { message: e.error.message, at: e.errorAt } } : {}),
    }));
  }

  #refresh(entry: Entry): Promise<void> {
    entry.inflight ??= (async () => {
      entry.calls++;
      this.#calls++;
      try {
        const text = await entry.fetch();
        const now = this.#now();
        const previous = entry.value;
        entry.value = new Secret(text);
        entry.fetchedAt = now;
        entry.expiresAt = now + entry.ttl.ttlMs;
        entry.staleUntil = entry.expiresAt + entry.ttl.resurrectMs;
        entry.error = undefined;
        if (previous && previous.reveal() !== text) for (const listener of this.#listeners) listener(entry.key);
      } catch (err) {
        const now = this.#now();
        entry.error = err instanceof Error ? err : new Error(String(err));
        entry.errorAt = now;
        const backend = entry.key.split(':', 1)[0] as string;
        this.#errors.set(backend, (this.#errors.get(backend) ?? 0) + 1);
        entry.retryAt = now + Math.max(entry.ttl.negTtlMs, this.options.negativeFloorMs ?? 1000);
        if (entry.value && now >= entry.staleUntil) entry.value = undefined;
      }
    })().finally(() => {
      entry.inflight = undefined;
    });
    return entry.inflight;
  }
}
