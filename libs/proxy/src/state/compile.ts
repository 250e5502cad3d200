import type { Entity, PluginRegistry } from '@keygate/entities';
import { issuesToFields, parseTarget, upstreams } from '@keygate/entities';
import type { CredentialHasher } from './hasher';
import type { BasicAuthData, CaCertificateData, CertificateData, ConsumerData, KeyAuthData, PluginData, RouteData, ServiceData, SniData, TableName, Tables, TargetData, UpstreamData } from './types';

const idOf = (ref: unknown): string | null => ((ref as { id?: unknown } | null)?.id as string | undefined) ?? null;
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const list = (v: unknown): string[] | null => (Array.isArray(v) ? (v as string[]) : null);

/** A credential without its secret must never match anything (an empty or missing key would). */
function requireSecret(value: unknown, field: string): void {
  if (typeof value !== 'string' || value === '') throw Object.assign(new Error(`credential has no ${field}`), { code: 'NO_SECRET' });
}

/**
 * Kong entities (as the DAO returns them, encrypted fields already decrypted) to what a worker
 * holds. Secrets leave here only as HMAC digests.
 */
export class EntityCompiler {
  constructor(
    private readonly hasher: CredentialHasher,
    private readonly plugins: PluginRegistry,
  ) {}

  compile<T extends TableName>(table: T, entity: Entity, row: Record<string, unknown>): Tables[T] {
    return this.#compile(table, entity, row) as Tables[T];
  }

  #compile(table: TableName, e: Entity, row: Record<string, unknown>): Tables[TableName] {
    switch (table) {
      case 'services':
        return {
          id: e.id,
          name: str(e.name),
          protocol: String(e.protocol ?? 'http'),
          host: String(e.host),
          port: Number(e.port ?? 80),
          path: str(e.path),
          retries: Number(e.retries ?? 5),
          connect_timeout: Number(e.connect_timeout ?? 60000),
          write_timeout: Number(e.write_timeout ?? 60000),
          read_timeout: Number(e.read_timeout ?? 60000),
          enabled: e.enabled !== false,
          tls_verify: typeof e.tls_verify === 'boolean' ? e.tls_verify : null,
          ca_certificates: list(e.ca_certificates) ?? [],
        } satisfies ServiceData;
      case 'routes':
        return {
          id: e.id,
          name: str(e.name),
          protocols: list(e.protocols) ?? ['http', 'https'],
          methods: list(e.methods),
          hosts: list(e.hosts),
          paths: list(e.paths),
          headers: (e.headers as Record<string, string[]> | null) ?? null,
          snis: list(e.snis),
          regex_priority: Number(e.regex_priority ?? 0),
          strip_path: e.strip_path !== false,
          path_handling: e.path_handling === 'v1' ? 'v1' : 'v0',
          preserve_host: e.preserve_host === true,
          https_redirect_status_code: Number(e.https_redirect_status_code ?? 426),
          request_buffering: e.request_buffering !== false,
          response_buffering: e.response_buffering !== false,
          service_id: idOf(e.service),
        } satisfies RouteData;
      case 'consumers':
        return { id: e.id, username: str(e.username), custom_id: str(e.custom_id) } satisfies ConsumerData;
      case 'plugins':
        return this.#plugin(e);
      case 'keyauth_credentials': {
        requireSecret(e.key, 'key');
        // `expires_at` is derived on write (created_at + ttl); rows written by Kong only have `ttl`.
        const ttl = Number(e.ttl ?? 0);
        const expires = row.expires_at instanceof Date ? row.expires_at.getTime() : ttl > 0 ? (Number(e.created_at) + ttl) * 1000 : null;
        return { id: e.id, consumer_id: idOf(e.consumer) as string, digest: this.hasher.digest(String(e.key)), expires_at: expires } satisfies KeyAuthData;
      }
      case 'certificates':
        requireSecret(e.key, 'key');
        return { id: e.id, cert: String(e.cert), key: String(e.key), cert_alt: str(e.cert_alt), key_alt: str(e.key_alt) } satisfies CertificateData;
      case 'snis':
        return { id: e.id, name: String(e.name), certificate_id: idOf(e.certificate) as string } satisfies SniData;
      case 'ca_certificates':
        return { id: e.id, cert: String(e.cert) } satisfies CaCertificateData;
      case 'upstreams':
        return this.#upstream(e);
      case 'targets': {
        const parsed = parseTarget(String(e.target));
        if (!parsed) throw Object.assign(new Error('target is not host:port'), { code: 'INVALID_TARGET' });
        return { id: e.id, upstream_id: idOf(e.upstream) as string, target: String(e.target), host: parsed.host, port: parsed.port, weight: Number(e.weight ?? 100) } satisfies TargetData;
      }
      case 'basicauth_credentials': {
        requireSecret(e.password, 'password');
        const hash = String(e.password).toLowerCase();
        return {
          id: e.id,
          consumer_id: idOf(e.consumer) as string,
          username: String(e.username),
          digest: this.hasher.digest(hash),
          algorithm: hash.length === 64 ? 'sha256' : 'sha1',
        } satisfies BasicAuthData;
      }
    }
  }

  /** Read with the schema again (a row is not trusted): defaults filled in, a bad one refused. */
  #upstream(e: Entity): UpstreamData {
    const parsed = upstreams.schema.safeParse(e);
    if (!parsed.success) throw Object.assign(new Error(`invalid upstream: ${JSON.stringify(issuesToFields(parsed.error.issues))}`), { code: 'INVALID_ROW' });
    const u = parsed.data as unknown as UpstreamData & { id: string };
    return {
      id: e.id,
      name: u.name,
      algorithm: u.algorithm,
      hash_on: u.hash_on,
      hash_fallback: u.hash_fallback,
      hash_on_header: u.hash_on_header ?? null,
      hash_fallback_header: u.hash_fallback_header ?? null,
      hash_on_cookie: u.hash_on_cookie ?? null,
      hash_on_cookie_path: u.hash_on_cookie_path,
      hash_on_query_arg: u.hash_on_query_arg ?? null,
      hash_fallback_query_arg: u.hash_fallback_query_arg ?? null,
      hash_on_uri_capture: u.hash_on_uri_capture ?? null,
      hash_fallback_uri_capture: u.hash_fallback_uri_capture ?? null,
      slots: u.slots,
      healthchecks: u.healthchecks,
      host_header: u.host_header ?? null,
    };
  }

  /** The plugin's config with its schema's defaults; a config that does not validate is kept as such (the worker fails closed). */
  #plugin(e: Entity): PluginData {
    const name = String(e.name);
    const schema = this.plugins.get(name);
    const base = {
      id: e.id,
      name,
      enabled: e.enabled !== false,
      protocols: list(e.protocols),
      route_id: idOf(e.route),
      service_id: idOf(e.service),
      consumer_id: idOf(e.consumer),
    };
    if (!schema) return { ...base, config: null, invalid: `plugin '${name}' is not enabled on this node (plugins setting)` };
    const parsed = schema.config.safeParse(e.config ?? {});
    if (!parsed.success) return { ...base, config: null, invalid: `invalid configuration: ${JSON.stringify(issuesToFields(parsed.error.issues))}` };
    return { ...base, config: parsed.data as Record<string, unknown> };
  }
}
