import type { Migration } from '../migrator';

/**
 * Kong Enterprise's RBAC tables (users, roles, user roles, endpoint permissions) and audit log
 * (`audit_requests`, `audit_objects`). A database connection is not trust: user, user-role and
 * role rows carry a MAC under a key derived from `keyring_cluster_secret` (rows that do not
 * verify grant nothing); audit rows are hash-chained under that secret, with a MAC'd head per
 * chain (first and last sequence), so an edited, inserted or deleted row is detected.
 * The built-in roles are seeded with fixed ids; their permissions live in code.
 */
export const rbacAudit: Migration = {
  name: '007_rbac_audit',
  sql: /* sql */ `
CREATE TABLE rbac_users (
  id               UUID PRIMARY KEY,
  name             TEXT NOT NULL UNIQUE,
  user_token       TEXT NOT NULL,
  user_token_ident TEXT NOT NULL UNIQUE,
  comment          TEXT,
  enabled          BOOLEAN NOT NULL DEFAULT TRUE,
  created_at       TIMESTAMPTZ NOT NULL DEFAULT date_trunc('second', now()),
  updated_at       TIMESTAMPTZ NOT NULL DEFAULT date_trunc('second', now()),
  mac              TEXT
);

CREATE TABLE rbac_roles (
  id               UUID PRIMARY KEY,
  name             TEXT NOT NULL UNIQUE,
  comment          TEXT,
  is_default       BOOLEAN NOT NULL DEFAULT FALSE,
  created_at       TIMESTAMPTZ NOT NULL DEFAULT date_trunc('second', now()),
  updated_at       TIMESTAMPTZ NOT NULL DEFAULT date_trunc('second', now()),
  permissions_mac  TEXT
);

CREATE TABLE rbac_user_roles (
  user_id UUID NOT NULL REFERENCES rbac_users (id) ON DELETE CASCADE,
  role_id UUID NOT NULL REFERENCES rbac_roles (id) ON DELETE CASCADE,
  mac     TEXT,
  PRIMARY KEY (user_id, role_id)
);

CREATE TABLE rbac_role_endpoints (
  role_id    UUID NOT NULL REFERENCES rbac_roles (id) ON DELETE CASCADE,
  workspace  TEXT NOT NULL DEFAULT 'default',
  endpoint   TEXT NOT NULL,
  actions    SMALLINT NOT NULL,
  negative   BOOLEAN NOT NULL DEFAULT FALSE,
  comment    TEXT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT date_trunc('second', now()),
  PRIMARY KEY (role_id, workspace, endpoint)
);

INSERT INTO rbac_roles (id, name, comment) VALUES
  ('00000000-0000-4000-8000-000000000001', 'read-only', 'Read access to all endpoints, across all workspaces'),
  ('00000000-0000-4000-8000-000000000002', 'admin', 'Full access to all endpoints, across all workspaces—except RBAC Admin API'),
  ('00000000-0000-4000-8000-000000000003', 'super-admin', 'Full access to all endpoints, across all workspaces');

CREATE TABLE audit_requests (
  seq                  BIGINT PRIMARY KEY,
  request_id           TEXT NOT NULL,
  request_timestamp    BIGINT NOT NULL,
  client_ip            TEXT,
  method               TEXT NOT NULL,
  path                 TEXT NOT NULL,
  payload              TEXT,
  removed_from_payload TEXT,
  status               INTEGER NOT NULL,
  rbac_user_id         UUID,
  rbac_user_name       TEXT,
  request_source       TEXT,
  workspace            TEXT,
  signature            TEXT,
  expire               TIMESTAMPTZ NOT NULL,
  prev_hash            TEXT NOT NULL,
  hash                 TEXT NOT NULL
);
CREATE INDEX audit_requests_ts_idx ON audit_requests (request_timestamp);

CREATE TABLE audit_objects (
  seq                 BIGINT PRIMARY KEY,
  id                  UUID NOT NULL UNIQUE,
  request_id          TEXT,
  request_timestamp   BIGINT NOT NULL,
  entity_key          TEXT,
  dao_name            TEXT NOT NULL,
  operation           TEXT NOT NULL,
  entity              TEXT,
  removed_from_entity TEXT,
  rbac_user_id        UUID,
  signature           TEXT,
  expire              TIMESTAMPTZ NOT NULL,
  prev_hash           TEXT NOT NULL,
  hash                TEXT NOT NULL
);
CREATE INDEX audit_objects_ts_idx ON audit_objects (request_timestamp);

CREATE TABLE audit_heads (
  chain      TEXT PRIMARY KEY,
  first_seq  BIGINT NOT NULL,
  first_prev TEXT NOT NULL,
  last_seq   BIGINT NOT NULL,
  last_hash  TEXT NOT NULL,
  mac        TEXT NOT NULL
);
`,
};
