-- rollout module: payment-method catalogue, activation waves, per-merchant activations, buyer exposure, audit log.

CREATE TABLE payment_methods (
  method          text PRIMARY KEY,
  enabled         boolean NOT NULL,
  paused          boolean NOT NULL DEFAULT false,
  display_order   integer NOT NULL,
  exposure_percent integer NOT NULL DEFAULT 100 CHECK (exposure_percent BETWEEN 0 AND 100),
  min_client_app  text,
  min_client_version text,
  updated_at      timestamptz NOT NULL
);
-- Alipay is live for every merchant once its 直付通 sub-merchant exists; WeChat Pay starts off.
INSERT INTO payment_methods (method, enabled, display_order, updated_at) VALUES
  ('wechatpay', false, 1, now()),
  ('alipay', true, 2, now());

CREATE TABLE rollout_waves (
  id            text PRIMARY KEY,
  method        text NOT NULL REFERENCES payment_methods(method),
  name          text NOT NULL,
  status        text NOT NULL CHECK (status IN ('scheduled', 'launched', 'paused')),
  selection     jsonb NOT NULL,
  launch_at     timestamptz,
  effective_at  timestamptz NOT NULL,
  notice_days   integer NOT NULL,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL
);

CREATE TABLE rollout_wave_merchants (
  wave_id     text NOT NULL REFERENCES rollout_waves(id),
  merchant_id text NOT NULL REFERENCES merchants(id),
  picked_by   text NOT NULL,
  PRIMARY KEY (wave_id, merchant_id)
);

CREATE TABLE activations (
  merchant_id       text NOT NULL REFERENCES merchants(id),
  method            text NOT NULL REFERENCES payment_methods(method),
  status            text NOT NULL CHECK (status IN ('invited', 'applying', 'approved', 'rejected', 'live', 'paused')),
  wave_id           text NOT NULL REFERENCES rollout_waves(id),
  agreement_version text,
  accepted_by       text,
  accepted_at       timestamptz,
  reject_reasons    text[],
  onboarding_sealed text,
  invited_at        timestamptz NOT NULL,
  live_at           timestamptz,
  updated_at        timestamptz NOT NULL,
  PRIMARY KEY (merchant_id, method)
);
CREATE INDEX activations_wave ON activations (wave_id);
CREATE INDEX activations_approved ON activations (method) WHERE status = 'approved';

CREATE TABLE buyer_exposures (
  buyer_id    text NOT NULL REFERENCES buyers(id),
  method      text NOT NULL REFERENCES payment_methods(method),
  exposed     boolean NOT NULL,
  source      text NOT NULL CHECK (source IN ('cohort', 'allow_list')),
  assigned_at timestamptz NOT NULL,
  PRIMARY KEY (buyer_id, method)
);

CREATE TABLE audit_log (
  id          bigserial PRIMARY KEY,
  actor       text NOT NULL,
  action      text NOT NULL,
  subject     text NOT NULL,
  before      jsonb,
  after       jsonb,
  at          timestamptz NOT NULL
);
CREATE INDEX audit_log_subject ON audit_log (subject, id);
