import type { TestDatabase } from './database';
import { httpClient, type HttpClient } from './http-client';
import { AppProcess } from './processes';

/**
 * An admin node on the test file's database for the whole file (started in `beforeAll`, stopped
 * in `afterAll`), with a client of its Admin API.
 */
export function useAdminNode(database: { get(): TestDatabase }, env: () => Record<string, string> = () => ({})): { readonly node: AppProcess; readonly api: HttpClient } {
  let node: AppProcess | undefined;
  let api: HttpClient | undefined;
  beforeAll(async () => {
    node = await AppProcess.start('admin', { env: { ...database.get().env(), ...env() } });
    api = httpClient(node.url('admin'));
  });
  afterAll(() => node?.stop());
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the admin node is started in beforeAll; use it inside tests');
    return value;
  };
  return {
    get node() {
      return started(node);
    },
    get api() {
      return started(api);
    },
  };
}

/** Where the vault-resolver's internal API listens, from its log (`vault_resolver_listen` port 0). */
export function vaultResolverUrl(node: AppProcess): string {
  const line = node.lines.find((l) => l.includes('"listener":"vault-resolver"'));
  if (!line) throw new Error('the vault-resolver has not reported its listener');
  const { address, port } = JSON.parse(line) as { address: string; port: number };
  return `http://${address}:${port}`;
}

/** The settings that point a node's `aws` vault at an emulator with these credentials. */
export function awsVaultEnv(aws: { readonly url: string; readonly region: string }, key: { readonly accessKeyId: string; readonly secretAccessKey: string }): Record<string, string> {
  return { KONG_VAULT_AWS_ENDPOINT_URL: aws.url, AWS_ACCESS_KEY_ID: key.accessKeyId, AWS_SECRET_ACCESS_KEY: key.secretAccessKey, AWS_REGION: aws.region };
}
