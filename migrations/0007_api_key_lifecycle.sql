-- API keys with a lifecycle: a shown prefix to recognise a key by, last use, expiry, revocation and rotation;
-- publishable keys (`pk_…`) for storefronts. Only the SHA-256 of a key is ever stored.
ALTER TABLE api_keys DROP CONSTRAINT api_keys_role_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check CHECK (role IN ('ops', 'merchant', 'buyer', 'publishable'));
ALTER TABLE api_keys ADD COLUMN prefix       text;
ALTER TABLE api_keys ADD COLUMN last_used_at timestamptz;
ALTER TABLE api_keys ADD COLUMN expires_at   timestamptz;
ALTER TABLE api_keys ADD COLUMN revoked_at   timestamptz;
ALTER TABLE api_keys ADD COLUMN revoked_by   text;
-- Rotation: the key that replaced this one (this one keeps working until its expires_at, the overlap).
ALTER TABLE api_keys ADD COLUMN replaced_by  text REFERENCES api_keys(id);
CREATE INDEX api_keys_merchant ON api_keys (merchant_id, created_at, id) WHERE merchant_id IS NOT NULL;
CREATE INDEX api_keys_role ON api_keys (role, created_at, id);
