-- Background sweeps claim a row before driving it (a lease, so two workers never drive one row at once and a
-- crashed worker's rows come back when its lease runs out). A row that keeps failing backs off exponentially and,
-- after a bounded number of tries, stays here marked dead: the stuck list ops see (GET /v1/ops/stuck) and retry.
-- A row that was driven without error has no claim row at all.
CREATE TABLE sweep_claims (
  kind          text NOT NULL,
  id            text NOT NULL,
  owner         text NOT NULL,
  lease_until   timestamptz NOT NULL,
  next_try_at   timestamptz NOT NULL,
  failures      integer NOT NULL DEFAULT 0,
  last_error    text,
  failed_at     timestamptz,
  dead_at       timestamptz,
  PRIMARY KEY (kind, id)
);
CREATE INDEX sweep_claims_dead ON sweep_claims (dead_at) WHERE dead_at IS NOT NULL;

-- Onboarding polls back off: the number of status queries since the last change.
ALTER TABLE provider_accounts ADD COLUMN check_count integer NOT NULL DEFAULT 0;
