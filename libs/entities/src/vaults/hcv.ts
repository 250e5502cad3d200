import { z } from 'zod';
import { bool, host, nonEmptyString, oneOf, port } from '../schema/fields';
import type { FieldErrors } from '../schema/errors';
import { TTL_FIELDS, type VaultSchema } from './schema';

/** HashiCorp Vault KV v1/v2 with token, Kubernetes or AppRole auth (Kong's `hcv` schema). */
export const hcvVault: VaultSchema = {
  name: 'hcv',
  config: z
    .object({
      protocol: oneOf(['http', 'https']).default('http'),
      host: host().default('127.0.0.1'),
      port: port().default(8200),
      namespace: nonEmptyString().optional(),
      mount: nonEmptyString().default('secret'),
      kv: oneOf(['v1', 'v2']).default('v1'),
      auth_method: oneOf(['token', 'kubernetes', 'approle']).default('token'),
      token: nonEmptyString().optional(),
      kube_role: nonEmptyString().optional(),
      kube_auth_path: nonEmptyString().default('kubernetes'),
      kube_api_token_file: nonEmptyString().optional(),
      approle_auth_path: nonEmptyString().default('approle'),
      approle_role_id: nonEmptyString().optional(),
      approle_secret_id: nonEmptyString().optional(),
      approle_secret_id_file: nonEmptyString().optional(),
      approle_response_wrapping: bool().default(false),
      ...TTL_FIELDS,
    })
    .strict(),
  encryptedFields: ['token', 'approle_secret_id'],
  check: (config) => {
    const errors: FieldErrors = {};
    if (config.auth_method === 'token' && config.token == null) errors.token = 'required field missing';
    if (config.auth_method === 'kubernetes' && config.token != null) errors.token = 'value must be null';
    if (config.auth_method === 'approle') {
      if (config.approle_role_id == null) errors.approle_role_id = 'required field missing';
      if (config.approle_secret_id == null && config.approle_secret_id_file == null) {
        errors['@entity'] = ["at least one of these fields must be non-empty: 'approle_secret_id', 'approle_secret_id_file'"];
      }
    }
    return Object.keys(errors).length > 0 ? errors : undefined;
  },
};
