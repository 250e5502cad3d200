import type { Migration } from '../migrator';

/**
 * Background jobs: an outbox (a job is requested in the same transaction as the change that
 * needs it, and a relay moves it to Redis, so a job is never lost when Redis is down), and the
 * re-encryption runs with their checkpoint (resumable after kill -9) and progress.
 */
export const jobs: Migration = {
  name: '003_jobs',
  sql: /* sql */ `
CREATE TABLE job_outbox (
  id          UUID PRIMARY KEY,
  queue       TEXT NOT NULL,
  name        TEXT NOT NULL,
  payload     JSONB NOT NULL,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  enqueued_at TIMESTAMPTZ,
  attempts    INTEGER NOT NULL DEFAULT 0,
  last_error  TEXT
);
CREATE INDEX job_outbox_pending_idx ON job_outbox (created_at) WHERE enqueued_at IS NULL;

CREATE TABLE keyring_reencrypt_runs (
  id            UUID PRIMARY KEY,
  target_key_id TEXT NOT NULL,
  reason        TEXT NOT NULL,
  state         TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'superseded', 'failed')),
  cursor        JSONB,
  stats         JSONB NOT NULL DEFAULT '{}',
  errors        JSONB NOT NULL DEFAULT '[]',
  key_usage     JSONB,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  started_at    TIMESTAMPTZ,
  updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  finished_at   TIMESTAMPTZ
);
CREATE INDEX keyring_reencrypt_runs_created_idx ON keyring_reencrypt_runs (created_at DESC);
`,
};
