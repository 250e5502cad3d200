import type { Migration } from '../migrator';

/**
 * Core tables, with Kong's table and column names so that operators' SQL and tooling keep
 * working. Unique constraints keep PostgreSQL's default names (`<table>_<column>_key`), which
 * `libs/entities` maps back to Kong's "UNIQUE violation detected on ..." messages.
 */
export const base: Migration = {
  name: '000_base',
  sql: /* sql */ `
CREATE TABLE certificates (
  id          UUID PRIMARY KEY,
  created_at  TIMESTAMPTZ NOT NULL,
  updated_at  TIMESTAMPTZ NOT NULL,
  cert        TEXT,
  key         TEXT,
  cert_alt    TEXT,
  key_alt     TEXT,
  tags        TEXT[]
);

CREATE TABLE services (
  id                    UUID PRIMARY KEY,
  created_at            TIMESTAMPTZ NOT NULL,
  updated_at            TIMESTAMPTZ NOT NULL,
  name                  TEXT UNIQUE,
  retries               BIGINT,
  protocol              TEXT,
  host                  TEXT,
  port                  BIGINT,
  path                  TEXT,
  connect_timeout       BIGINT,
  write_timeout         BIGINT,
  read_timeout          BIGINT,
  tags                  TEXT[],
  client_certificate_id UUID REFERENCES certificates (id),
  tls_verify            BOOLEAN,
  tls_verify_depth      SMALLINT,
  ca_certificates       UUID[],
  enabled               BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE TABLE routes (
  id                         UUID PRIMARY KEY,
  created_at                 TIMESTAMPTZ NOT NULL,
  updated_at                 TIMESTAMPTZ NOT NULL,
  name                       TEXT UNIQUE,
  service_id                 UUID REFERENCES services (id),
  protocols                  TEXT[],
  methods                    TEXT[],
  hosts                      TEXT[],
  paths                      TEXT[],
  snis                       TEXT[],
  sources                    JSONB[],
  destinations               JSONB[],
  regex_priority             BIGINT,
  strip_path                 BOOLEAN,
  preserve_host              BOOLEAN,
  tags                       TEXT[],
  https_redirect_status_code INTEGER,
  headers                    JSONB,
  path_handling              TEXT DEFAULT 'v0',
  request_buffering          BOOLEAN,
  response_buffering         BOOLEAN
);
CREATE INDEX routes_service_id_idx ON routes (service_id);

CREATE TABLE consumers (
  id          UUID PRIMARY KEY,
  created_at  TIMESTAMPTZ NOT NULL,
  updated_at  TIMESTAMPTZ NOT NULL,
  username    TEXT UNIQUE,
  custom_id   TEXT UNIQUE,
  tags        TEXT[]
);

CREATE TABLE plugins (
  id            UUID PRIMARY KEY,
  created_at    TIMESTAMPTZ NOT NULL,
  updated_at    TIMESTAMPTZ NOT NULL,
  name          TEXT NOT NULL,
  instance_name TEXT UNIQUE,
  consumer_id   UUID REFERENCES consumers (id) ON DELETE CASCADE,
  service_id    UUID REFERENCES services (id) ON DELETE CASCADE,
  route_id      UUID REFERENCES routes (id) ON DELETE CASCADE,
  config        JSONB NOT NULL,
  enabled       BOOLEAN NOT NULL,
  cache_key     TEXT UNIQUE,
  protocols     TEXT[],
  tags          TEXT[],
  ordering      JSONB
);
CREATE INDEX plugins_name_idx ON plugins (name);
CREATE INDEX plugins_consumer_id_idx ON plugins (consumer_id);
CREATE INDEX plugins_service_id_idx ON plugins (service_id);
CREATE INDEX plugins_route_id_idx ON plugins (route_id);

CREATE TABLE basicauth_credentials (
  id          UUID PRIMARY KEY,
  created_at  TIMESTAMPTZ NOT NULL,
  consumer_id UUID NOT NULL REFERENCES consumers (id) ON DELETE CASCADE,
  username    TEXT UNIQUE,
  password    TEXT,
  tags        TEXT[]
);
CREATE INDEX basicauth_consumer_id_idx ON basicauth_credentials (consumer_id);

CREATE TABLE keyauth_credentials (
  id          UUID PRIMARY KEY,
  created_at  TIMESTAMPTZ NOT NULL,
  consumer_id UUID NOT NULL REFERENCES consumers (id) ON DELETE CASCADE,
  key         TEXT UNIQUE,
  ttl         INTEGER,
  tags        TEXT[]
);
CREATE INDEX keyauth_consumer_id_idx ON keyauth_credentials (consumer_id);

CREATE TABLE vaults (
  id          UUID PRIMARY KEY,
  created_at  TIMESTAMPTZ NOT NULL,
  updated_at  TIMESTAMPTZ NOT NULL,
  name        TEXT NOT NULL,
  prefix      TEXT UNIQUE,
  description TEXT,
  config      JSONB,
  tags        TEXT[]
);

-- Every running Keygate process (a "node"): which app, since when, last heartbeat. The keyring
-- exchange adds each node's ephemeral public key and its admission proof.
CREATE TABLE cluster_nodes (
  node_id         UUID PRIMARY KEY,
  app             TEXT NOT NULL,
  hostname        TEXT NOT NULL,
  version         TEXT NOT NULL,
  public_key      TEXT,
  admission_proof TEXT,
  started_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_seen       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX cluster_nodes_last_seen_idx ON cluster_nodes (last_seen);

CREATE INDEX services_tags_idx ON services USING GIN (tags);
CREATE INDEX routes_tags_idx ON routes USING GIN (tags);
CREATE INDEX consumers_tags_idx ON consumers USING GIN (tags);
CREATE INDEX plugins_tags_idx ON plugins USING GIN (tags);
CREATE INDEX certificates_tags_idx ON certificates USING GIN (tags);
CREATE INDEX basicauth_tags_idx ON basicauth_credentials USING GIN (tags);
CREATE INDEX keyauth_tags_idx ON keyauth_credentials USING GIN (tags);
CREATE INDEX vaults_tags_idx ON vaults USING GIN (tags);
`,
};
