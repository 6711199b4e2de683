-- Merchants' onboarding profiles (sealed per field, bound to merchant and field), the test-identity mark on
-- applications made against a sandbox, and audit-log lookups by action and actor.

CREATE TABLE merchant_profiles (
  merchant_id text PRIMARY KEY REFERENCES merchants(id),
  plain       jsonb NOT NULL DEFAULT '{}',
  sealed      jsonb NOT NULL DEFAULT '{}',
  images      jsonb NOT NULL DEFAULT '{}',
  updated_at  timestamptz NOT NULL
);

-- Fields of the application that came from the sandbox's published test identities (NULL: none).
ALTER TABLE provider_accounts ADD COLUMN test_identity_fields text[];

CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_actor ON audit_log (actor, id);
