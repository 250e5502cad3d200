import { randomInt, randomUUID } from 'node:crypto';
import type { Clock } from '@keygate/tool-kit';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function base62(length: number): string {
  let out = '';
  for (let i = 0; i < length; i += 1) out += BASE62[randomInt(BASE62.length)];
  return out;
}

export interface TokenEntry {
  readonly id: string;
  readonly accessor: string;
  readonly policies: readonly string[];
  /** Namespace the token was created in (`''` is the root namespace); it works there and below. */
  readonly namespace: string;
  /** API path that created it, as `lookup-self` reports (`auth/approle/login`). */
  readonly path: string;
  readonly displayName: string;
  readonly meta: Readonly<Record<string, string>> | null;
  readonly entityId: string;
  readonly createdAt: Date;
  readonly renewable: boolean;
  readonly type: 'service' | 'wrapping';
  /** Requested TTL; 0 means the token never expires (the root token). */
  ttlSeconds: number;
  expiresAt?: Date;
  /** For wrapping tokens: the response they wrap, handed out once by `sys/wrapping/unwrap`. */
  readonly wrapped?: Record<string, unknown>;
}

export interface IssueOptions {
  readonly policies: readonly string[];
  readonly ttlSeconds: number;
  readonly namespace: string;
  readonly path: string;
  readonly displayName?: string;
  readonly meta?: Record<string, string> | null;
  readonly renewable?: boolean;
  readonly type?: 'service' | 'wrapping';
  readonly wrapped?: Record<string, unknown>;
}

/** Every token the server knows: the root token, login tokens, created tokens, wrapping tokens. */
export class TokenStore {
  private readonly byId = new Map<string, TokenEntry>();

  constructor(private readonly clock: Clock) {}

  addRoot(id: string): TokenEntry {
    return this.add({ id, policies: ['root'], ttlSeconds: 0, namespace: '', path: 'auth/token/root', displayName: 'root', renewable: false });
  }

  issue(options: IssueOptions): TokenEntry {
    // Vault's current token format: `hvs.` for service tokens (wrapping tokens look the same).
    return this.add({ id: `hvs.${base62(24)}`, ...options });
  }

  /** The token if it exists and has not expired. */
  find(id: string | undefined): TokenEntry | undefined {
    if (!id) return undefined;
    const entry = this.byId.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt && entry.expiresAt.getTime() <= this.clock.now().getTime()) {
      this.byId.delete(id);
      return undefined;
    }
    return entry;
  }

  revoke(id: string): void {
    this.byId.delete(id);
  }

  /** Extends a token's life by `incrementSeconds` (or its own TTL) from now. */
  renew(entry: TokenEntry, incrementSeconds: number | undefined): void {
    const seconds = incrementSeconds ?? entry.ttlSeconds;
    entry.ttlSeconds = seconds;
    entry.expiresAt = new Date(this.clock.now().getTime() + seconds * 1000);
  }

  /** Seconds left (rounded up, so a fresh token shows its full TTL), 0 for a token that never expires. */
  remaining(entry: TokenEntry): number {
    if (!entry.expiresAt) return 0;
    return Math.max(0, Math.ceil((entry.expiresAt.getTime() - this.clock.now().getTime()) / 1000));
  }

  private add(options: IssueOptions & { id: string }): TokenEntry {
    const now = this.clock.now();
    const entry: TokenEntry = {
      id: options.id,
      accessor: base62(24),
      policies: [...options.policies],
      namespace: options.namespace,
      path: options.path,
      displayName: options.displayName ?? 'token',
      meta: options.meta ?? null,
      entityId: options.type === 'wrapping' || options.policies.includes('root') ? '' : randomUUID(),
      createdAt: now,
      renewable: options.renewable ?? options.ttlSeconds > 0,
      type: options.type ?? 'service',
      ttlSeconds: options.ttlSeconds,
      expiresAt: options.ttlSeconds > 0 ? new Date(now.getTime() + options.ttlSeconds * 1000) : undefined,
      wrapped: options.wrapped,
    };
    this.byId.set(entry.id, entry);
    return entry;
  }
}

/** A token from namespace `a` works in `a` and `a/b`, a root-namespace token everywhere. */
export function usableIn(entry: TokenEntry, namespace: string): boolean {
  return entry.namespace === '' || namespace === entry.namespace || namespace.startsWith(`${entry.namespace}/`);
}
