-- The idempotent door: one record per (caller, method, route template, path parameters, Idempotency-Key), inserted
-- in the same transaction as the effect it guards, holding the request's hash, the effect's result and, once sent,
-- the response. `idempotency_keys` (written by HTTP hooks around the handler) is no longer written; it stays for
-- processes of the previous version during a rolling deploy and is dropped by a later migration.
CREATE TABLE idempotency_records (
  scope           text PRIMARY KEY,
  caller_hash     text NOT NULL,
  method          text NOT NULL,
  route           text NOT NULL,
  request_hash    text NOT NULL,
  result          text,
  response_status integer,
  response_body   text,
  created_at      timestamptz NOT NULL,
  recovered_at    timestamptz,
  completed_at    timestamptz
);
CREATE INDEX idempotency_records_expiry ON idempotency_records (created_at);
