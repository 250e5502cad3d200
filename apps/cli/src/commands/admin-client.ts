import { loadConfig } from '@keygate/config';
import { UsageError, readNodeConfigSecret } from '@keygate/runtime';

export interface AdminCommandOptions {
  readonly conf?: string;
  /** Admin API base URL; default: the first plain `admin_listen` address. */
  readonly adminUrl?: string;
}

/** The Admin API base URL: `--admin-url`, else the first plain `admin_listen` address. */
export async function adminUrl(options: AdminCommandOptions): Promise<string> {
  if (options.adminUrl) return options.adminUrl.replace(/\/+$/, '');
  const { config } = await loadConfig({ ...(options.conf ? { file: options.conf } : {}), allowUnresolved: true, awsSecret: { read: readNodeConfigSecret } });
  const listen = config.admin_listen.find((l) => !l.ssl);
  if (!listen) throw new UsageError('admin_listen has no plain HTTP address; pass --admin-url');
  const host = listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host === '::' ? '[::1]' : listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  return `http://${host}:${listen.port}`;
}

/** One Admin API call with a timeout; an unreachable API is a usage error naming it. */
export async function call(url: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    throw new UsageError(`cannot reach the Admin API at ${new URL(url).origin} (${(err as Error).message}); is admin running? (--admin-url)`);
  }
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

