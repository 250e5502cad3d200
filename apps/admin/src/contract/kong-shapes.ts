import { z } from 'zod';

/**
 * Kong's Admin API response shapes, written from the facts of Kong's published Admin API
 * description (gateway OSS 3.9 and EE 3.10 OpenAPI) and, where that description is silent or
 * wrong, from what Kong's source sends. Objects are closed (`additionalProperties: false` in
 * EE 3.10): a field Kong does not have fails, and so does a missing required one or a wrong type.
 *
 * Where the published description is wrong (each is also listed in docs/admin-api.md):
 * - `next` is typed `string` ("URI to the next page (may be null)"), but Kong sends
 *   `"next": null` on the last page (`kong/api/endpoints.lua`); it is nullable here.
 * - OSS 3.9 types unset fields as plain `string`/`integer`; Kong sends `null` for them (EE 3.10
 *   marks them `nullable`, which is what is encoded here).
 * - OSS 3.9: `POST /consumers` answers 200 and `PUT /consumers/{c}` a list body; Kong answers
 *   201 and the entity. `POST /schemas/{entity}/validate` says `Message`; Kong sends `message`.
 * - OSS 3.9: `GET /schemas/vaults/{name}` is typed as a Vault entity and
 *   `POST /schemas/vaults/{name}` as `{"validation": bool}`; Kong answers a schema
 *   (`{"fields": [...]}`) and `{"message": "schema validation successful"}`.
 * - EE 3.10: `/tags` items carry `entity_type` and an `entity_name` like `my-service`; Kong's
 *   items are `{entity_name: <table name>, entity_id, tag}` (`kong/db/schema/entities/tags.lua`).
 * - `Service.url` is listed (and required in EE 3.10), but it is a write-only shorthand that
 *   Kong never returns; it is optional here.
 * - The description has no error bodies (404s have no schema, 400/409 are `object`); Kong's are
 *   the DAO error `{code, name, message, fields}` and `{"message"}` (`kong/db/errors.lua`).
 * - OSS 3.9 paths `/services/{service_id_or_name}plugins` and
 *   `DELETE /routes/{route_id_or_name}/{filter_chain_id}` lack a `/` and a `filter-chains`.
 */

const str = z.string();
const int = z.int();
const tags = z.array(z.string()).nullable();
const ref = z.object({ id: z.string() }).strict();
const uuid = z.uuid();

export const Consumer = z
  .object({ id: uuid, created_at: int, updated_at: int.nullable(), username: str.nullable(), custom_id: str.nullable(), tags: tags.optional() })
  .strict();

export const Service = z
  .object({
    id: uuid,
    created_at: int,
    updated_at: int,
    name: str.nullable(),
    protocol: z.enum(['grpc', 'grpcs', 'http', 'https', 'tcp', 'tls', 'tls_passthrough', 'udp', 'ws', 'wss']).nullable(),
    host: str,
    port: int.nullable(),
    path: str.nullable(),
    retries: int.nullable(),
    connect_timeout: int.nullable(),
    write_timeout: int.nullable(),
    read_timeout: int.nullable(),
    tags: tags.optional(),
    client_certificate: ref.nullable().optional(),
    tls_verify: z.boolean().nullable().optional(),
    tls_verify_depth: int.nullable().optional(),
    ca_certificates: z.array(str).nullable().optional(),
    enabled: z.boolean().nullable().optional(),
    url: str.optional(),
    // EE 3.10 only.
    tls_sans: z.object({ dnsnames: z.array(str), uris: z.array(str) }).nullable().optional(),
  })
  .strict();

const PROTOCOL = z.enum(['grpc', 'grpcs', 'http', 'https', 'tcp', 'tls', 'tls_passthrough', 'udp', 'ws', 'wss']);
const endpoints = z.array(z.object({ ip: str, port: int }).partial()).nullable().optional();

/** The traditional router's route (EE 3.10 `Route` first `oneOf`). */
export const Route = z
  .object({
    id: uuid,
    created_at: int,
    updated_at: int,
    name: str.nullable(),
    protocols: z.array(PROTOCOL).nullable(),
    methods: z.array(str).nullable(),
    hosts: z.array(str).nullable(),
    paths: z.array(str).nullable(),
    headers: z.record(str, z.array(str)).nullable(),
    https_redirect_status_code: z.union([z.literal(301), z.literal(302), z.literal(307), z.literal(308), z.literal(426)]).nullable(),
    regex_priority: int.nullable(),
    strip_path: z.boolean().nullable(),
    path_handling: z.enum(['v0', 'v1']).nullable(),
    preserve_host: z.boolean().nullable(),
    request_buffering: z.boolean().nullable(),
    response_buffering: z.boolean().nullable(),
    snis: z.array(str).nullable(),
    sources: endpoints,
    destinations: endpoints,
    tags: tags.optional(),
    service: ref.nullable(),
  })
  .strict();

export const Plugin = z
  .object({
    id: uuid,
    created_at: int,
    updated_at: int,
    name: str,
    instance_name: str.nullable(),
    config: z.record(str, z.unknown()).nullable(),
    protocols: z.array(PROTOCOL).nullable(),
    enabled: z.boolean().nullable(),
    tags: tags.optional(),
    ordering: z.object({ before: z.record(str, z.unknown()), after: z.record(str, z.unknown()) }).partial().nullable().optional(),
    route: ref.nullable(),
    service: ref.nullable(),
    consumer: ref.nullable(),
    // EE 3.10 only.
    consumer_group: ref.nullable().optional(),
    partials: z.array(z.record(str, z.unknown())).nullable().optional(),
  })
  .strict();

/** key-auth's credential (the key-auth plugin's API description). */
export const KeyAuth = z
  .object({ id: uuid, created_at: int, consumer: ref.nullable(), key: str.nullable(), ttl: int.nullable(), tags: tags.optional() })
  .strict();

export const BasicAuth = z
  .object({ id: uuid, created_at: int, consumer: ref.nullable(), username: str, password: str, tags: tags.optional() })
  .strict();

export const Vault = z
  .object({
    id: uuid,
    created_at: int,
    updated_at: int,
    prefix: str,
    name: str,
    description: str.nullable(),
    config: z.record(str, z.unknown()).nullable(),
    tags: tags.optional(),
  })
  .strict();

export const Certificate = z
  .object({
    id: uuid,
    created_at: int,
    updated_at: int.nullable().optional(),
    cert: str,
    key: str,
    cert_alt: str.nullable(),
    key_alt: str.nullable(),
    snis: z.array(str).nullable().optional(),
    tags: tags.optional(),
  })
  .strict();

/** A collection page: `data`, `offset` while there is more, `next` (null on the last page). */
export const page = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item), offset: str.optional(), next: str.nullable() }).strict();

/**
 * `GET /` (EE 3.10 `GetKongInfoResponse`, an open object). Keygate leaves out `lua_version` and
 * `timers`, which describe Kong's Lua VM (docs/admin-api.md); they are optional here.
 */
export const Info = z
  .object({
    tagline: str,
    version: str,
    edition: str,
    hostname: str,
    node_id: uuid,
    pids: z.object({ master: int, workers: z.array(int).optional() }).loose(),
    plugins: z.object({ available_on_server: z.record(str, z.unknown()), enabled_in_cluster: z.array(str) }).loose(),
    configuration: z.record(str, z.unknown()),
    lua_version: str.optional(),
    timers: z.object({ running: int, pending: int }).optional(),
  })
  .loose();

export const Tag = z.object({ entity_name: str, entity_id: uuid, tag: str }).strict();
export const Endpoints = z.object({ data: z.array(str.startsWith('/')) }).strict();

/** One field of a schema: a single-key object whose value names Kong's type. */
const KONG_TYPES = ['string', 'integer', 'number', 'boolean', 'array', 'set', 'map', 'record', 'foreign', 'function', 'json'] as const;
const SchemaField: z.ZodType = z.lazy(() =>
  z.record(str, z.object({ type: z.enum(KONG_TYPES), fields: z.array(SchemaField).optional(), elements: z.object({ type: z.enum(KONG_TYPES) }).loose().optional() }).loose()).refine((field) => Object.keys(field).length === 1, 'a field is one single-key object'),
);
export const Schema = z.object({ fields: z.array(SchemaField), entity_checks: z.array(z.record(str, z.unknown())).optional() }).strict();
export const Validated = z.object({ message: z.literal('schema validation successful') }).strict();

/** Kong's `{"message": ...}` errors (404, 405, 400 for a bad JSON body...). */
export const Message = (message: string | RegExp) =>
  z.object({ message: typeof message === 'string' ? z.literal(message) : str.regex(message) }).strict();

/** Kong's DAO error (`kong/db/errors.lua`): code, name, message, and `fields` when any. */
export const DaoError = (code: number, name: string) =>
  z.object({ code: z.literal(code), name: z.literal(name), message: str, fields: z.record(str, z.unknown()).optional() }).strict();
