import { EntityError } from '../schema/errors';
import { inferForm, validateEntity } from '../schema/validate';
import { encryptedPaths } from '../dao/encrypted';
import { VaultSchemaRegistry } from '../vaults/registry';
import { vaultsDefinition } from './vaults';

const base = { id: '6375b5fd-9c95-4822-b2dd-80ffbccb7ec9', created_at: 1, updated_at: 1 };
const vaults = vaultsDefinition();
const insert = (input: Record<string, unknown>) => validateEntity(vaults, { ...base, ...input }, { operation: 'insert' });

function fields(input: Record<string, unknown>): unknown {
  try {
    insert(input);
  } catch (err) {
    expect(err).toBeInstanceOf(EntityError);
    return (err as EntityError).toBody().fields;
  }
  throw new Error('expected a schema violation');
}

describe('vaults entity', () => {
  it('fills the backend defaults into config (Kong shape)', () => {
    expect(insert({ name: 'hcv', prefix: 'my-hcv', config: { token: 't', kv: 'v2' } })).toEqual({
      ...base,
      name: 'hcv',
      prefix: 'my-hcv',
      description: null,
      tags: null,
      config: {
        protocol: 'http',
        host: '127.0.0.1',
        port: 8200,
        mount: 'secret',
        kv: 'v2',
        auth_method: 'token',
        token: 't',
        kube_auth_path: 'kubernetes',
        approle_auth_path: 'approle',
        approle_response_wrapping: false,
      },
    });
    expect(insert({ name: 'aws', prefix: 'my-aws', config: { region: 'eu-central-2' } }).config).toEqual({ region: 'eu-central-2', role_session_name: 'KongVault' });
  });

  it.each([
    [{ name: 'aws', prefix: 'aws' }, { prefix: 'must not be one of: env, aws, hcv, gcp, azure' }],
    [{ name: 'aws', prefix: 'My_Vault' }, { prefix: 'invalid value: My_Vault' }],
    [{ name: 'nope', prefix: 'x1' }, { name: "vault 'nope' is not installed" }],
    [{ prefix: 'x1' }, { name: 'required field missing' }],
    [{ name: 'hcv', prefix: 'x1' }, { config: { token: 'required field missing' } }],
    [{ name: 'hcv', prefix: 'x1', config: { auth_method: 'approle' } }, { config: { approle_role_id: 'required field missing', '@entity': ["at least one of these fields must be non-empty: 'approle_secret_id', 'approle_secret_id_file'"] } }],
    [{ name: 'hcv', prefix: 'x1', config: { token: 't', port: 70000, kv: 'v3' } }, { config: { port: 'value should be between 0 and 65535', kv: 'expected one of: v1, v2' } }],
    [{ name: 'env', prefix: 'x1', config: { ttl: -1, color: 'red' } }, { config: { ttl: 'value should be between 0 and 100000000', color: 'unknown field' } }],
  ])('rejects %j with Kong errors', (input, expected) => {
    expect(fields(input)).toEqual(expected);
  });

  it('refuses backends the vaults setting did not load', () => {
    const onlyEnv = vaultsDefinition(new VaultSchemaRegistry(['env']));
    expect(() => validateEntity(onlyEnv, { ...base, name: 'aws', prefix: 'a1' }, { operation: 'insert' })).toThrow(EntityError);
    expect(() => new VaultSchemaRegistry(['gcp'])).toThrow("vaults: 'gcp' is not a vault backend Keygate knows (not available in this version yet)");
  });

  it('infers form-encoded config types from the backend schema', () => {
    expect(inferForm(vaults, { name: 'hcv', prefix: 'a1', config: { port: '8300', approle_response_wrapping: 'true', ttl: '60' } })).toEqual({
      name: 'hcv',
      prefix: 'a1',
      config: { port: 8300, approle_response_wrapping: true, ttl: 60 },
    });
  });

  it('declares the secret config fields of each backend as encrypted', () => {
    const entity = insert({ name: 'hcv', prefix: 'a1', config: { token: 't' } });
    expect(encryptedPaths(vaults, entity)).toEqual(['config.token', 'config.approle_secret_id']);
    expect(encryptedPaths(vaults, insert({ name: 'env', prefix: 'e1' }))).toEqual([]);
  });
});
