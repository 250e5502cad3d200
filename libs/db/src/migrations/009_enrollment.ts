import type { Migration } from '../migrator';

/**
 * Node enrollment: one-time tokens (`POST /cluster/enrollment-tokens`) and the per-node
 * credentials they are exchanged for. A token is stored only as a keyed hash (HMAC under a key
 * derived from the cluster secret), so the database never holds a usable token; it is consumed
 * by one atomic UPDATE. A credential row holds no secret at all (the node's secret is derived
 * from the cluster secret and the row id) and carries a MAC over every column, so a database
 * writer can neither add a credential nor lift a revocation by editing the row.
 */
export const enrollment: Migration = {
  name: '009_enrollment',
  sql: /* sql */ `
CREATE TABLE cluster_credentials (
  id UUID PRIMARY KEY,
  app TEXT,
  label TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  revoked_at TIMESTAMPTZ,
  last_join_at TIMESTAMPTZ,
  last_join_node_id UUID,
  mac TEXT NOT NULL
);
CREATE TABLE cluster_enrollment_tokens (
  id UUID PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  app TEXT,
  tags TEXT[],
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  expires_at TIMESTAMPTZ NOT NULL,
  consumed_at TIMESTAMPTZ,
  revoked_at TIMESTAMPTZ,
  credential_id UUID REFERENCES cluster_credentials (id) ON DELETE SET NULL,
  consumed_by TEXT
);
CREATE INDEX cluster_enrollment_tokens_expires ON cluster_enrollment_tokens (expires_at);
`,
};
