import { hcvVault } from '@keygate/entities';
import { errorsOf, HcvClient, HcvUnreachableError, trimPath } from '@keygate/hcv';
import { backendError, secretNotFound } from '../errors';
import type { VaultBackend } from './backend';
import { VaultTokenSource, type VaultCall } from './hcv-auth';

/**
 * HashiCorp Vault KV v1/v2 (Kong's `hcv` vault). The value is the secret's data as JSON text,
 * so `{vault://hcv/path/key}` picks a field; `#N` reads KV v2 version N.
 */
export const hcvBackend: VaultBackend = {
  schema: hcvVault,
  connect(config, context) {
    const client = new HcvClient({
      address: `${String(config.protocol)}://${String(config.host)}:${Number(config.port)}`,
      ...(typeof config.namespace === 'string' ? { namespace: config.namespace } : {}),
      timeoutMs: context.timeoutMs,
    });
    const call: VaultCall = async (method, path, options) => {
      try {
        const res = await client.call(method, path, options);
        return { status: res.status, body: res.body ?? {} };
      } catch (err) {
        if (err instanceof HcvUnreachableError) throw backendError(`unable to retrieve secret from vault: cannot reach ${err.address} (${err.reason})`, err.cause);
        throw err;
      }
    };
    const tokens = new VaultTokenSource(config, call);
    const mount = trimPath(String(config.mount));

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
