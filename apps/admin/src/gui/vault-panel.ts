import type { Logger } from '@keygate/logging';
import type { ReferenceHealth, VaultResolverClient } from '@keygate/vaults/client';

/** The vault panel: what the vault-resolver knows of each reference in use, or why there is no answer. */
export type VaultPanelView =
  | { readonly status: 'ok'; readonly url: string; readonly checked_at: number; readonly references: readonly ReferenceHealth[] }
  | { readonly status: 'unavailable'; readonly url: string | null; readonly checked_at: number; readonly message: string };

export interface VaultPanelOptions {
  /** A client of the vault-resolver at `vault_resolver_url`; absent when none is configured. */
  readonly client: Pick<VaultResolverClient, 'health'> | undefined;
  readonly url: string | null;
  readonly logger: Logger;
  /** How often the resolver is asked while a page is open. @defaultValue 5000 */
  readonly refreshMs?: number;
}

/**
 * Reads one vault-resolver's `GET /v1/health` (signed with the cluster secret) once per
 * `refreshMs` while pages are open, for all of them together; never asks any other node.
 */
export class VaultPanel {
  #last: VaultPanelView | undefined;
  #reading: Promise<VaultPanelView> | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: VaultPanelOptions) {}

  /** The last answer if it is recent, else a new read. */
  current(): Promise<VaultPanelView> {
    if (this.#last && Date.now() - this.#last.checked_at < this.#refreshMs) return Promise.resolve(this.#last);
    return this.read();
  }

  /** Reads the resolver now (one read at a time). */
  read(): Promise<VaultPanelView> {
    this.#reading ??= this.#read().finally(() => (this.#reading = undefined));
    return this.#reading;
  }

  /** While `active()`, reads once per `refreshMs` and hands each answer to `onRead`. */
  start(active: () => boolean, onRead: (view: VaultPanelView) => void): void {
    this.#timer = setInterval(() => {
      if (active()) void this.read().then(onRead);
    }, this.#refreshMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  get #refreshMs(): number {
    return this.options.refreshMs ?? 5000;
  }

  async #read(): Promise<VaultPanelView> {
    const { client, url } = this.options;
    const checked_at = Date.now();
    if (!client) return (this.#last = { status: 'unavailable', url, checked_at, message: 'no vault-resolver configured (vault_resolver_url)' });
    try {
      const health = await client.health();
      this.#last = { status: 'ok', url: url as string, checked_at, references: health.references };
    } catch (err) {
      // The client's messages name the URL and the status, never a request's signature or a value.
      const message = (err as Error).message;
      if (this.#last?.status !== 'unavailable') this.options.logger.warn({ error: message }, 'cluster page: vault-resolver not reachable');
      this.#last = { status: 'unavailable', url, checked_at, message };
    }
    return this.#last;
  }
}
