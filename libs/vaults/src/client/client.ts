import type { Bus } from '@keygate/bus';
import { Secret } from '@keygate/crypto';
import type { Logger } from '@keygate/logging';
import { VaultError, type VaultErrorCode } from '../errors';
import { VAULT_CHANGES, type VaultChange } from '../events';
import { LogOnce } from '../log-once';
import { signRequest, type RequestSigner } from '../remote/auth';
import { HEALTH_PATH, MAX_REFERENCES_PER_REQUEST, RESOLVE_PATH, type HealthResponse, type ResolveResponse } from '../remote/protocol';

export interface VaultResolverClientOptions {
  /** `vault_resolver_url`. */
  readonly url: string;
  /** This node's admitted identity (`membership.identity` with its proof): signs every request. Undefined: the node is not admitted. */
  readonly signer: RequestSigner | undefined;
  /** `vault_resolver_timeout`. @defaultValue 5000 */
  readonly timeoutMs?: number;
  readonly logger: Logger;
  readonly now?: () => number;
}

interface Held {
  readonly value: Secret<string>;
  readonly expiresAt: number;
}

export type ChangedReferences = (change: VaultChange) => void;

/**
 * A node's view of the vault-resolver: resolves references found in entities through its API,
 * keeps each value until the resolver says it expires, drops values the resolver announces as
 * changed (bus), and while the resolver is unreachable keeps serving what it holds. References
 * asked for in the same tick travel in one request; one reference is never asked for twice at once.
 */
export class VaultResolverClient {
  readonly #held = new Map<string, Held>();
  readonly #inflight = new Map<string, Promise<Secret<string>>>();
  readonly #listeners = new Set<ChangedReferences>();
  readonly #logOnce: LogOnce;
  readonly #now: () => number;
  #pending: Map<string, { resolve: (v: Secret<string>) => void; reject: (e: unknown) => void }[]> | undefined;
  #requests = 0;
  #hits = 0;

  constructor(private readonly options: VaultResolverClientOptions) {
    this.#now = options.now ?? Date.now;
    this.#logOnce = new LogOnce(60_000, this.#now);
  }

  async resolve(reference: string): Promise<Secret<string>> {
    const held = this.#held.get(reference);
    if (held && this.#now() < held.expiresAt) {
      this.#hits++;
      return held.value;
    }
    let inflight = this.#inflight.get(reference);
    if (!inflight) {
      inflight = this.#enqueue(reference).finally(() => this.#inflight.delete(reference));
      this.#inflight.set(reference, inflight);
    }
    return inflight;
  }

  /** Follows the resolver's change events on this node's bus; after a reconnect, everything is re-read. */
  attach(bus: Bus): void {
    bus.subscribe(VAULT_CHANGES, (change) => this.#changed(change));
    bus.onResync(async () => this.#changed({ all: true }));
  }

  /** Listens for references whose values changed (entities using them should resolve again). */
  onChange(listener: ChangedReferences): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The resolver's view of each reference nodes asked for (`GET /v1/health`); never values. */
  async health(): Promise<HealthResponse> {
    return JSON.parse(await this.#request('GET', HEALTH_PATH, '')) as HealthResponse;
  }

  status(): { readonly url: string; readonly cached: number; readonly requests: number; readonly hits: number } {
    return { url: this.options.url, cached: this.#held.size, requests: this.#requests, hits: this.#hits };
  }

  #changed(change: VaultChange): void {
    if ('all' in change) this.#held.clear();
    else for (const reference of change.references) this.#held.delete(reference);
    for (const listener of this.#listeners) listener(change);
  }

  #enqueue(reference: string): Promise<Secret<string>> {
    return new Promise((resolve, reject) => {
      if (!this.#pending) {
        this.#pending = new Map();
        queueMicrotask(() => void this.#flush());
      }
      const waiters = this.#pending.get(reference) ?? [];
      waiters.push({ resolve, reject });
      this.#pending.set(reference, waiters);
    });
  }

  async #flush(): Promise<void> {
    const pending = this.#pending!;
    this.#pending = undefined;
    const references = [...pending.keys()];
    for (let i = 0; i < references.length; i += MAX_REFERENCES_PER_REQUEST) {
      const batch = references.slice(i, i + MAX_REFERENCES_PER_REQUEST);
      let response: ResolveResponse | undefined;
      let failure: VaultError | undefined;
      try {
        response = await this.#post(batch);
      } catch (err) {
        failure = err as VaultError;
      }
      for (const reference of batch) {
        const waiters = pending.get(reference)!;
        const settle = (outcome: { value: Secret<string> } | { error: unknown }) =>
          waiters.forEach((w) => ('value' in outcome ? w.resolve(outcome.value) : w.reject(outcome.error)));
        const result = response?.results[reference];
        if (result && 'value' in result) {
          const value = new Secret(result.value);
          this.#held.set(reference, { value, expiresAt: result.expires_at ?? Infinity });
          settle({ value });
        } else if (result && 'error' in result) {
          settle({ error: new VaultError(result.error.code as VaultErrorCode, result.error.message) });
        } else {
          const held = this.#held.get(reference);
          if (held && this.#logOnce.allow(`stale:${reference}`)) {
            this.options.logger.warn({ reference, error: failure?.message }, 'vault-resolver unreachable; using the value this node holds');
          }
          settle(held ? { value: held.value } : { error: failure ?? new VaultError('VAULT_RESOLVER_UNAVAILABLE', 'vault-resolver gave no answer') });
        }
      }
    }
  }

  async #post(references: readonly string[]): Promise<ResolveResponse> {
    this.#requests++;
    return JSON.parse(await this.#request('POST', RESOLVE_PATH, JSON.stringify({ references }))) as ResolveResponse;
  }

  /** A signed request; the body of a 200 answer, or a `VAULT_RESOLVER_UNAVAILABLE` error. */
  async #request(method: 'GET' | 'POST', path: string, body: string): Promise<string> {
    if (!this.options.signer) {
      throw new VaultError('VAULT_RESOLVER_UNAVAILABLE', 'this node is not admitted to the cluster (set keyring_cluster_secret, or enroll it with cluster_node_credential): it cannot authenticate to the vault-resolver');
    }
    // Signed with the real clock (the resolver checks it), whatever clock the cache uses.
    const headers = signRequest(this.options.signer, { method, path, body });
    const timeoutMs = this.options.timeoutMs ?? 5000;
    let res: Response;
    try {
      res = await fetch(`${this.options.url.replace(/\/+$/, '')}${path}`, {
        method,
        headers: { ...headers, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
        ...(method === 'POST' ? { body } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const reason = (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : ((err as { cause?: Error }).cause?.message ?? (err as Error).message);
      throw new VaultError('VAULT_RESOLVER_UNAVAILABLE', `vault-resolver at ${this.options.url} unreachable: ${reason}`, { cause: err });
    }
    const text = await res.text();
    if (res.status !== 200) {
      let message = text;
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {
        // not JSON: keep the text
      }
      throw new VaultError('VAULT_RESOLVER_UNAVAILABLE', `vault-resolver at ${this.options.url} answered ${res.status}: ${message}`);
    }
    return text;
  }
}
