import type { VaultDev } from '../src';

/**
 * The parts of Vault's answers these tests read; each endpoint fills some of them (KV reads
 * `data.data`, logins `auth`, wrapped answers `wrap_info`, errors `errors`).
 */
export interface VaultBody {
  readonly errors: string[];
  readonly warnings: string[] | null;
  readonly data: {
    readonly data: Record<string, unknown> | null;
    readonly metadata: { readonly version: number; readonly destroyed: boolean; readonly deletion_time: string };
    readonly keys: string[];
    readonly version: number;
    readonly current_version: number;
    readonly versions: Record<string, { readonly created_time: string; readonly deletion_time: string; readonly destroyed: boolean }>;
    readonly secret_id: string;
    readonly namespace_path: string;
  };
  readonly auth: { readonly client_token: string; readonly lease_duration: number };
  readonly wrap_info: { readonly token: string };
}

export interface Answer {
  status: number;
  /** Undefined for an empty answer (204). */
  body: VaultBody;
}

/** A raw HTTP call, the way Kong's and Keygate's Vault clients make them. */
export async function call(
  vault: VaultDev,
  method: string,
  path: string,
  options: { token?: string | null; body?: unknown; namespace?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? vault.rootToken : options.token;
  if (token !== null) headers['X-Vault-Token'] = token;
  if (options.namespace !== undefined) headers['X-Vault-Namespace'] = options.namespace;
  const response = await fetch(`${vault.url}/v1/${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as VaultBody };
}
