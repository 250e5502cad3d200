import type { Migration } from '../migrator';

/**
 * Kong Enterprise's entity-level RBAC (`enforce_rbac = entity|both`): `rbac_role_entities`
 * grants or denies actions on one entity (or `*`) per role. A database connection is not
 * trust: each role's set of entity permissions is covered by `rbac_roles.entities_mac` (under
 * the key derived from `keyring_cluster_secret`), as its endpoint permissions are by
 * `permissions_mac`; an added, edited or deleted row breaks the MAC and the role grants nothing.
 * `rbac_state` holds the RBAC epoch every RBAC MAC covers, against rows replayed after a revocation.
 */
export const rbacEntities: Migration = {
  name: '010_rbac_entities',
  sql: /* sql */ `
CREATE TABLE rbac_role_entities (
  role_id     UUID NOT NULL REFERENCES rbac_roles (id) ON DELETE CASCADE,
  entity_id   TEXT NOT NULL,
  entity_type TEXT NOT NULL,
  actions     SMALLINT NOT NULL,
  negative    BOOLEAN NOT NULL DEFAULT FALSE,
  comment     TEXT,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT date_trunc('second', now()),
  updated_at  TIMESTAMPTZ NOT NULL DEFAULT date_trunc('second', now()),
  PRIMARY KEY (role_id, entity_id)
);
CREATE INDEX rbac_role_entities_entity_idx ON rbac_role_entities (entity_id);

ALTER TABLE rbac_roles ADD COLUMN entities_mac TEXT;

-- The RBAC epoch: every MAC'd RBAC row is signed in the current epoch; a revocation (a user
-- deleted, disabled or given a new token, a role link or a permission removed, a deny added)
-- moves every valid row to the next one, so a row saved earlier and restored does not verify.
-- One row; its MAC is under the same key. Nodes also remember the highest epoch they saw.
CREATE TABLE rbac_state (
  id    BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
  epoch BIGINT NOT NULL,
  mac   TEXT NOT NULL
);
ALTER TABLE rbac_users ADD COLUMN epoch BIGINT;
ALTER TABLE rbac_user_roles ADD COLUMN epoch BIGINT;
ALTER TABLE rbac_roles ADD COLUMN epoch BIGINT;
`,
};
