import { key } from '../spec';
import { boolean, integer, list, oneOf, secretString, string } from '../types';

/**
 * Kong Enterprise's RBAC and audit log settings for the Admin API. RBAC rows and the audit
 * chain are keyed with `keyring_cluster_secret` (the database does not hold it), so either
 * switch needs it set.
 */
export const ADMIN_SECURITY_KEYS = {
  enforce_rbac: key({
    type: oneOf('on', 'off', 'entity', 'both'),
    default: 'off',
    origin: 'kong-ee',
    doc: 'Admin API access control. `on`: every request needs a valid token (`rbac_auth_header`) and a role allowing the endpoint and action. `entity`: entity-level permissions (`/rbac/roles/{role}/entities`) on the entity endpoints, endpoint permissions elsewhere (keyring, vaults, RBAC, audit); `both`: both on every entity endpoint. Needs `keyring_cluster_secret`.',
  }),
  rbac_auth_header: key({
    type: string('an HTTP header name'),
    default: 'Kong-Admin-Token',
    origin: 'kong-ee',
    doc: 'Request header carrying an RBAC user token.',
  }),
  password: key({
    type: secretString(),
    origin: 'kong-ee',
    secret: true,
    doc: "`KONG_PASSWORD` at `keygate migrations bootstrap`: creates the super admin `kong_admin` whose `Kong-Admin-Token` is this value (only if no user `kong_admin` exists). Needs `keyring_cluster_secret`. Never printed.",
  }),
  audit_log: key({
    type: boolean(),
    default: 'off',
    origin: 'kong-ee',
    doc: 'Record Admin API requests, entity changes and keyring operations in a hash-chained log (`/audit/requests`, `/audit/objects`, `keygate audit verify`). Needs `keyring_cluster_secret`.',
  }),
  audit_log_ignore_methods: key({ type: list(), origin: 'kong-ee', doc: 'HTTP methods whose requests are not recorded (exact match, e.g. `GET,HEAD`).' }),
  audit_log_ignore_paths: key({ type: list(), origin: 'kong-ee', doc: 'Regular expressions (unanchored) over the request path and query; matching requests are not recorded.' }),
  audit_log_ignore_tables: key({ type: list(), origin: 'kong-ee', doc: 'Entity tables whose changes are not recorded in `/audit/objects`.' }),
  audit_log_record_ttl: key({
    type: integer(60, Number.MAX_SAFE_INTEGER),
    default: '2592000',
    origin: 'kong-ee',
    doc: 'Seconds an audit record is kept (30 days). Expired records are pruned from the start of the chain; the chain head records where it now starts.',
  }),
  audit_log_signing_key: key({
    type: string('a file path to an RSA private key'),
    origin: 'kong-ee',
    acceptedOnly: true,
    doc: 'Accepted for compatibility; Keygate chains every record under a key derived from `keyring_cluster_secret` instead of signing records one by one.',
  }),
  audit_log_payload_exclude: key({
    type: list(),
    default: 'token, secret, password',
    origin: 'kong-ee',
    acceptedOnly: true,
    doc: 'Accepted for compatibility; Keygate never records request bodies or entity contents (only ids), so no secret can be missed by a list.',
  }),
};
