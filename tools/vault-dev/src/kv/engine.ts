import type { VaultReply } from '../envelope';

/** One request as a secrets engine sees it: the path inside its mount. */
export interface EngineRequest {
  /** GET, POST, PUT, PATCH, DELETE, or LIST (`GET ?list=true`, as Vault clients send it). */
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: Record<string, unknown>;
  readonly now: Date;
}

export interface SecretsEngine {
  readonly type: 'kv';
  readonly version: 1 | 2;
  handle(request: EngineRequest): VaultReply;
}

/** LIST semantics: the next path segment under `prefix`, folders with a trailing `/`, sorted. */
export function listKeys(paths: Iterable<string>, prefix: string): string[] {
  const base = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  const keys = new Set<string>();
  for (const path of paths) {
    if (!path.startsWith(base)) continue;
    const rest = path.slice(base.length);
    const slash = rest.indexOf('/');
    keys.add(slash === -1 ? rest : rest.slice(0, slash + 1));
  }
  return [...keys].filter((key) => key !== '').sort();
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
