/** Timeouts and retries for every AWS call Keygate makes itself. */
export interface CallLimits {
  /** Per attempt. @defaultValue 5000 (IMDS: 1000) */
  readonly timeoutMs?: number;
  /** Attempts after the first. @defaultValue 2 */
  readonly maxRetries?: number;
}

/** SDK client settings with our timeouts and bounded retries. */
export function sdkLimits(limits: CallLimits = {}): { maxAttempts: number; requestHandler: { connectionTimeout: number; requestTimeout: number } } {
  const timeout = limits.timeoutMs ?? 5000;
  return { maxAttempts: 1 + (limits.maxRetries ?? 2), requestHandler: { connectionTimeout: timeout, requestTimeout: timeout } };
}

/** `fetch failed` says nothing; its cause (`ECONNREFUSED 127.0.0.1:1338`) does. */
export function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.message) return cause.message;
  return cause?.code ?? (err as Error).message;
}
