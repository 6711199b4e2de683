-- payments module: provider accounts, attempts with their per-merchant provider orders, refunds,
-- the notification inbox and the outbox other modules (ledger) consume.

CREATE TABLE provider_accounts (
  merchant_id       text NOT NULL REFERENCES merchants(id),
  provider          text NOT NULL CHECK (provider IN ('alipay', 'wechatpay')),
  status            text NOT NULL CHECK (status IN ('applying', 'active', 'rejected')),
  sub_merchant_id   text,
  out_request_no    text,
  application_id    text,
  reject_reasons    text[],
  linked            boolean NOT NULL DEFAULT false,
  next_check_at     timestamptz,
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL,
  PRIMARY KEY (merchant_id, provider),
  CHECK (status <> 'active' OR sub_merchant_id IS NOT NULL)
);
CREATE UNIQUE INDEX provider_accounts_sub_merchant ON provider_accounts (provider, sub_merchant_id);
CREATE INDEX provider_accounts_due ON provider_accounts (next_check_at) WHERE status = 'applying';

CREATE TABLE attempts (
  id              text PRIMARY KEY,
  payment_id      text NOT NULL REFERENCES payments(id),
  method          text NOT NULL,
  scene           text NOT NULL,
  status          text NOT NULL CHECK (status IN ('created', 'pending', 'succeeded', 'failed', 'closed')),
  action          jsonb,
  failure_code    text,
  late_paid       boolean NOT NULL DEFAULT false,
  expires_at      timestamptz NOT NULL,
  next_check_at   timestamptz NOT NULL,
  check_count     integer NOT NULL DEFAULT 0,
  succeeded_at    timestamptz,
  closed_at       timestamptz,
  created_at      timestamptz NOT NULL
);
CREATE INDEX attempts_payment ON attempts (payment_id, created_at);
CREATE UNIQUE INDEX attempts_one_success ON attempts (payment_id) WHERE status = 'succeeded';
CREATE INDEX attempts_due ON attempts (next_check_at) WHERE status IN ('created', 'pending');

CREATE TABLE attempt_orders (
  attempt_id      text NOT NULL REFERENCES attempts(id),
  order_id        text NOT NULL REFERENCES orders(id),
  merchant_id     text NOT NULL REFERENCES merchants(id),
  out_trade_no    text NOT NULL UNIQUE,
  sub_merchant_id text NOT NULL,
  amount          bigint NOT NULL CHECK (amount > 0),
  paid            boolean NOT NULL DEFAULT false,
  transaction_id  text,
  paid_at         timestamptz,
  PRIMARY KEY (attempt_id, order_id)
);
CREATE INDEX attempt_orders_order ON attempt_orders (order_id);

CREATE TABLE refunds (
  id              text PRIMARY KEY,
  kind            text NOT NULL CHECK (kind IN ('order', 'duplicate_payment')),
  order_id        text NOT NULL REFERENCES orders(id),
  merchant_id     text NOT NULL REFERENCES merchants(id),
  attempt_id      text NOT NULL REFERENCES attempts(id),
  method          text NOT NULL,
  out_trade_no    text NOT NULL,
  sub_merchant_id text NOT NULL,
  transaction_id  text,
  trade_amount    bigint NOT NULL,
  amount          bigint NOT NULL CHECK (amount > 0),
  reason          text,
  status          text NOT NULL CHECK (status IN ('pending', 'processing', 'succeeded', 'closed', 'abnormal', 'blocked_insufficient_funds')),
  step            text,
  failure_code    text,
  provider_refund_id text,
  next_check_at   timestamptz NOT NULL,
  check_count     integer NOT NULL DEFAULT 0,
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL
);
CREATE INDEX refunds_order ON refunds (order_id, created_at);
CREATE INDEX refunds_due ON refunds (next_check_at) WHERE status IN ('pending', 'processing', 'blocked_insufficient_funds');
CREATE UNIQUE INDEX refunds_one_duplicate ON refunds (out_trade_no) WHERE kind = 'duplicate_payment';

CREATE TABLE notification_inbox (
  provider      text NOT NULL,
  event_id      text NOT NULL,
  kind          text NOT NULL,
  payload       jsonb NOT NULL,
  outcome       text,
  received_at   timestamptz NOT NULL,
  processed_at  timestamptz,
  PRIMARY KEY (provider, event_id)
);

CREATE TABLE payment_anomalies (
  id          bigserial PRIMARY KEY,
  provider    text NOT NULL,
  kind        text NOT NULL,
  reference   text,
  details     jsonb NOT NULL,
  created_at  timestamptz NOT NULL
);

CREATE TABLE outbox (
  id            bigserial PRIMARY KEY,
  topic         text NOT NULL,
  aggregate_id  text NOT NULL,
  payload       jsonb NOT NULL,
  created_at    timestamptz NOT NULL,
  consumed_at   timestamptz
);
CREATE INDEX outbox_unconsumed ON outbox (id) WHERE consumed_at IS NULL;
