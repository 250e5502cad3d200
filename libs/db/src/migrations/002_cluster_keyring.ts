import type { Migration } from '../migrator';

/**
 * The keyring exchange between nodes: each member's view of the keyring on its `cluster_nodes`
 * row, and envelopes (a data key wrapped to one recipient's ephemeral RSA key, signed by the
 * sender) that are deleted once consumed and expire if never consumed.
 */
export const clusterKeyring: Migration = {
  name: '002_cluster_keyring',
  sql: /* sql */ `
ALTER TABLE cluster_nodes ADD COLUMN key_ids TEXT[] NOT NULL DEFAULT '{}';
ALTER TABLE cluster_nodes ADD COLUMN active_key_id TEXT;

CREATE TABLE keyring_envelopes (
  id                UUID PRIMARY KEY,
  recipient_node_id UUID NOT NULL,
  sender_node_id    UUID NOT NULL,
  key_id            TEXT NOT NULL,
  wrapped_key       TEXT NOT NULL,
  signature         TEXT NOT NULL,
  created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  expires_at        TIMESTAMPTZ NOT NULL,
  UNIQUE (recipient_node_id, key_id)
);
CREATE INDEX keyring_envelopes_recipient_idx ON keyring_envelopes (recipient_node_id);
CREATE INDEX keyring_envelopes_expires_idx ON keyring_envelopes (expires_at);
`,
};
