import type { Healthchecks } from '@keygate/entities';
import type { RouteSpec } from '@keygate/router';

/**
 * What a proxy worker holds of each entity: plain data, serialisable over the IPC channel between
 * the node and its workers. Secrets are never here in clear: key-auth keys and basic-auth hashes
 * are replaced by an HMAC under a key made at start that never leaves the node's memory.
 */
export interface ServiceData {
  readonly id: string;
  readonly name: string | null;
  readonly protocol: string;
  readonly host: string;
  readonly port: number;
  readonly path: string | null;
  readonly retries: number;
  readonly connect_timeout: number;
  readonly write_timeout: number;
  readonly read_timeout: number;
  readonly enabled: boolean;
  readonly tls_verify: boolean | null;
  /** Ids of `ca_certificates` that verify the upstream's certificate (with `tls_verify`). */
  readonly ca_certificates: readonly string[];
}

export interface RouteData extends RouteSpec {
  readonly name: string | null;
  readonly service_id: string | null;
  readonly preserve_host: boolean;
  readonly https_redirect_status_code: number;
  readonly request_buffering: boolean;
  readonly response_buffering: boolean;
}

export interface ConsumerData {
  readonly id: string;
  readonly username: string | null;
  readonly custom_id: string | null;
}

export interface PluginData {
  readonly id: string;
  readonly name: string;
  readonly enabled: boolean;
  /** The config with the plugin's defaults applied; null when it does not validate (see `invalid`). */
  readonly config: Readonly<Record<string, unknown>> | null;
  readonly invalid?: string;
  readonly protocols: readonly string[] | null;
  readonly route_id: string | null;
  readonly service_id: string | null;
  readonly consumer_id: string | null;
}

export interface KeyAuthData {
  readonly id: string;
  readonly consumer_id: string;
  /** HMAC of the key (`CredentialHasher`), never the key. */
  readonly digest: string;
  /** Epoch milliseconds after which the key is refused (`ttl`), or null. */
  readonly expires_at: number | null;
}

export interface BasicAuthData {
  readonly id: string;
  readonly consumer_id: string;
  readonly username: string;
  /** HMAC of Kong's stored hash (`sha1(password + consumer_id)`), never the hash itself. */
  readonly digest: string;
  /** SHA-256 for Kong EE's FIPS hashes (64 hex characters), else SHA-1. */
  readonly algorithm: 'sha1' | 'sha256';
  /**
   * Set when the password is encrypted with a key this node does not hold (the digest is then
   * empty): requests naming this username get 503 saying so, rather than a misleading 401.
   */
  readonly unavailable_key_id?: string;
}

/**
 * A certificate with its keys in clear (resolved from `{vault://...}` references where they
 * were): TLS needs them in the process that serves. They travel only over the node's IPC
 * channel to its own workers, and are never logged (`toJSON` of the state is not logged).
 */
export interface CertificateData {
  readonly id: string;
  readonly cert: string;
  readonly key: string;
  readonly cert_alt: string | null;
  readonly key_alt: string | null;
}

export interface SniData {
  readonly id: string;
  readonly name: string;
  readonly certificate_id: string;
}

export interface CaCertificateData {
  readonly id: string;
  readonly cert: string;
}

export interface UpstreamData {
  readonly id: string;
  readonly name: string;
  readonly algorithm: 'round-robin' | 'consistent-hashing' | 'least-connections' | 'latency';
  readonly hash_on: string;
  readonly hash_fallback: string;
  readonly hash_on_header: string | null;
  readonly hash_fallback_header: string | null;
  readonly hash_on_cookie: string | null;
  readonly hash_on_cookie_path: string;
  readonly hash_on_query_arg: string | null;
  readonly hash_fallback_query_arg: string | null;
  readonly hash_on_uri_capture: string | null;
  readonly hash_fallback_uri_capture: string | null;
  readonly slots: number;
  readonly healthchecks: Healthchecks;
  readonly host_header: string | null;
}

export interface TargetData {
  readonly id: string;
  readonly upstream_id: string;
  /** `host:port` (`[v6]:port`), as stored. */
  readonly target: string;
  readonly host: string;
  readonly port: number;
  readonly weight: number;
}

export interface Tables {
  services: ServiceData;
  routes: RouteData;
  consumers: ConsumerData;
  plugins: PluginData;
  keyauth_credentials: KeyAuthData;
  basicauth_credentials: BasicAuthData;
  certificates: CertificateData;
  snis: SniData;
  ca_certificates: CaCertificateData;
  upstreams: UpstreamData;
  targets: TargetData;
}

export type TableName = keyof Tables;

/** Parents before children (a delta never carries a child before its parent). */
export const TABLE_NAMES: readonly TableName[] = ['services', 'routes', 'consumers', 'plugins', 'keyauth_credentials', 'basicauth_credentials', 'certificates', 'snis', 'ca_certificates', 'upstreams', 'targets'];

export type Snapshot = { readonly version: number } & { readonly [T in TableName]: ReadonlyArray<Tables[T]> };

export type Change = { [T in TableName]: { readonly op: 'put'; readonly table: T; readonly value: Tables[T] } | { readonly op: 'delete'; readonly table: T; readonly id: string } }[TableName];

export interface Delta {
  readonly version: number;
  readonly changes: readonly Change[];
}
