import type { Migration } from '../migrator';

/**
 * Kong's `snis`, `ca_certificates`, `upstreams` and `targets` (Kong's table and column names),
 * and `upstream_health`: each proxy node's latest health snapshot of each upstream, which the
 * Admin API reads for `/upstreams/{u}/health` (the admin node does not balance traffic), and
 * `target_health_overrides`: what `PUT /upstreams/{u}/targets/{t}/healthy|unhealthy` set.
 */
export const upstreamsSnis: Migration = {
  name: '008_upstreams_snis',
  sql: /* sql */ `
CREATE TABLE snis (
  id              UUID PRIMARY KEY,
  created_at      TIMESTAMPTZ NOT NULL,
  updated_at      TIMESTAMPTZ NOT NULL,
  name            TEXT NOT NULL UNIQUE,
  certificate_id  UUID NOT NULL REFERENCES certificates (id) ON DELETE CASCADE,
  tags            TEXT[]
);
CREATE INDEX snis_certificate_id_idx ON snis (certificate_id);
CREATE INDEX snis_tags_idx ON snis USING GIN (tags);

CREATE TABLE ca_certificates (
  id           UUID PRIMARY KEY,
  created_at   TIMESTAMPTZ NOT NULL,
  updated_at   TIMESTAMPTZ NOT NULL,
  cert         TEXT NOT NULL,
  cert_digest  TEXT NOT NULL UNIQUE,
  tags         TEXT[]
);
CREATE INDEX ca_certificates_tags_idx ON ca_certificates USING GIN (tags);

CREATE TABLE upstreams (
  id                         UUID PRIMARY KEY,
  created_at                 TIMESTAMPTZ NOT NULL,
  updated_at                 TIMESTAMPTZ NOT NULL,
  name                       TEXT NOT NULL UNIQUE,
  algorithm                  TEXT,
  hash_on                    TEXT,
  hash_fallback              TEXT,
  hash_on_header             TEXT,
  hash_fallback_header       TEXT,
  hash_on_cookie             TEXT,
  hash_on_cookie_path        TEXT,
  hash_on_query_arg          TEXT,
  hash_fallback_query_arg    TEXT,
  hash_on_uri_capture        TEXT,
  hash_fallback_uri_capture  TEXT,
  slots                      INTEGER,
  healthchecks               JSONB,
  tags                       TEXT[],
  host_header                TEXT,
  client_certificate_id      UUID REFERENCES certificates (id),
  use_srv_name               BOOLEAN DEFAULT FALSE
);
CREATE INDEX upstreams_tags_idx ON upstreams USING GIN (tags);

CREATE TABLE targets (
  id           UUID PRIMARY KEY,
  created_at   TIMESTAMPTZ NOT NULL,
  updated_at   TIMESTAMPTZ NOT NULL,
  upstream_id  UUID NOT NULL REFERENCES upstreams (id) ON DELETE CASCADE,
  target       TEXT NOT NULL,
  weight       INTEGER NOT NULL,
  tags         TEXT[],
  cache_key    TEXT UNIQUE
);
CREATE INDEX targets_upstream_id_idx ON targets (upstream_id);
CREATE INDEX targets_tags_idx ON targets USING GIN (tags);

CREATE TABLE upstream_health (
  node_id      TEXT NOT NULL,
  upstream_id  UUID NOT NULL REFERENCES upstreams (id) ON DELETE CASCADE,
  snapshot     JSONB NOT NULL,
  updated_at   TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (node_id, upstream_id)
);

CREATE TABLE target_health_overrides (
  upstream_id  UUID NOT NULL REFERENCES upstreams (id) ON DELETE CASCADE,
  address      TEXT NOT NULL,
  healthy      BOOLEAN NOT NULL,
  set_at       TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (upstream_id, address)
);
`,
};
