/** Where a Vault server is and how long a call may take. */
export interface HcvClientOptions {
  /** `http(s)://host:port`; a trailing `/` is dropped. */
  readonly address: string;
  /** Vault Enterprise namespace (`X-Vault-Namespace`). */
  readonly namespace?: string;
  /** Per call. */
  readonly timeoutMs: number;
}

export interface HcvCallOptions {
  /** The client token (`X-Vault-Token`). */
  readonly token?: string;
  /** Sent as JSON. */
  readonly body?: unknown;
}

/** Vault's answer: the status and the JSON body (undefined when the body is not JSON). */
export interface HcvResponse {
  readonly status: number;
  readonly body: Record<string, unknown> | undefined;
}

/** No answer from Vault: refused, unresolvable, or later than `timeoutMs`. */
export class HcvUnreachableError extends Error {
  readonly code = 'HCV_UNREACHABLE';
  constructor(
    readonly address: string,
    /** `no answer within N ms`, or the network's reason (`connect ECONNREFUSED 127.0.0.1:8200`). */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot reach Vault at ${address}: ${reason}`, options);
    this.name = 'HcvUnreachableError';
  }
}

/**
 * HashiCorp Vault's HTTP API (`/v1/...`). It reports statuses and bodies as they are: what a 403
 * or 404 means is for the caller (the keyring's vault strategy, the hcv vault backend).
 */
export class HcvClient {
  readonly address: string;

  constructor(private readonly options: HcvClientOptions) {
    this.address = options.address.replace(/\/+$/, '');
  }

  /** `path` after `/v1/` (a query string included). */
  async call(method: 'GET' | 'POST', path: string, options: HcvCallOptions = {}): Promise<HcvResponse> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.options.namespace) headers['x-vault-namespace'] = this.options.namespace;
    if (options.token) headers['x-vault-token'] = options.token;
    let res: Response;
    try {
      res = await fetch(`${this.address}/v1/${path.replace(/^\/+/, '')}`, {
        method,
        headers,
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (err) {
      const reason = (err as Error).name === 'TimeoutError' ? `no answer within ${this.options.timeoutMs} ms` : ((err as { cause?: Error }).cause?.message ?? (err as Error).message);
      throw new HcvUnreachableError(this.address, reason, { cause: err });
    }
    const text = await res.text();
    let body: Record<string, unknown> | undefined;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = undefined;
    }
    return { status: res.status, body };
  }
}

/** Vault's `{"errors": [...]}` as `: a, b` (Vault's error texts carry no secrets). */
export function errorsOf(body: Record<string, unknown> | undefined): string {
  const errors = Array.isArray(body?.errors) ? body.errors.filter((e) => typeof e === 'string' && e !== '') : [];
  return errors.length > 0 ? `: ${errors.join(', ')}` : '';
}

/** A mount or path without leading and trailing `/`. */
export function trimPath(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}
