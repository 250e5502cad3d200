import { hcvVault } from '@keygate/entities';
import { backendError, secretNotFound } from '../errors';
import type { VaultBackend } from './backend';
import { errorsOf, trim, VaultTokenSource, type VaultCall } from './hcv-auth';

/**
 * HashiCorp Vault KV v1/v2 (Kong's `hcv` vault). The value is the secret's data as JSON text,
 * so `{vault://hcv/path/key}` picks a field; `#N` reads KV v2 version N.
 */
export const hcvBackend: VaultBackend = {
  schema: hcvVault,
  connect(config, context) {
    const base = `${String(config.protocol)}://${String(config.host)}:${Number(config.port)}`;
    const namespace = typeof config.namespace === 'string' ? config.namespace : undefined;
    const call: VaultCall = async (method, path, options = {}) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (namespace) headers['x-vault-namespace'] = namespace;
      if (options.token) headers['x-vault-token'] = options.token;
      let res: Response;
      try {
        res = await fetch(`${base}/v1/${path}`, {
          method,
          headers,
          ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
          signal: AbortSignal.timeout(context.timeoutMs),
        });
      } catch (err) {
        const reason = (err as Error).name === 'TimeoutError' ? `no answer within ${context.timeoutMs} ms` : ((err as { cause?: Error }).cause?.message ?? (err as Error).message);
        throw backendError(`unable to retrieve secret from vault: cannot reach ${base} (${reason})`, err);
      }
      const text = await res.text();
      let body: Record<string, unknown> = {};
      try {
        body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
      } catch {
        body = {};
      }
      return { status: res.status, body };
    };
    const tokens = new VaultTokenSource(config, call);
    const mount = trim(String(config.mount));

    return {
      async read(resource, version) {
        const path = config.kv === 'v2' ? `${mount}/data/${resource}${version !== undefined ? `?version=${version}` : ''}` : `${mount}/${resource}`;
        let res = await call('GET', path, { token: await tokens.token() });
        if (res.status === 403 && tokens.renewable) {
          // A login token revoked or expired early: log in once more.
          tokens.invalidate();
          res = await call('GET', path, { token: await tokens.token() });
        }
        if (res.status === 404) throw secretNotFound(`vault has no secret ${mount}/${resource}${version !== undefined ? ` version ${version}` : ''}`);
        if (res.status < 200 || res.status >= 300) throw backendError(`unable to retrieve secret from vault: ${res.status}${errorsOf(res.body)}`);
        let data = res.body.data as Record<string, unknown> | undefined;
        if (config.kv === 'v2') data = data?.data as Record<string, unknown> | undefined;
        if (typeof data !== 'object' || data === null) throw backendError(`invalid data${config.kv === 'v2' ? ' (v2)' : ''} received from vault: table expected`);
        return JSON.stringify(data);
      },
    };
  },
};
