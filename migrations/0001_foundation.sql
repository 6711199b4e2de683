-- Foundation: identities, catalog, orders, the payment that covers a checkout, idempotency.
-- Money columns are bigint fen. Ids are prefixed text (mch_…, ord_…).

CREATE TABLE merchants (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  category    text NOT NULL,
  tier        text NOT NULL,
  contact_name  text,
  contact_phone text,
  created_at  timestamptz NOT NULL
);

CREATE TABLE buyers (
  id            text PRIMARY KEY,
  name          text NOT NULL,
  wechat_openid text NOT NULL,
  created_at    timestamptz NOT NULL
);

CREATE TABLE api_keys (
  id          text PRIMARY KEY,
  key_hash    text NOT NULL UNIQUE,
  role        text NOT NULL CHECK (role IN ('ops', 'merchant', 'buyer')),
  merchant_id text REFERENCES merchants(id),
  buyer_id    text REFERENCES buyers(id),
  label       text,
  created_at  timestamptz NOT NULL,
  CHECK ((role = 'merchant') = (merchant_id IS NOT NULL)),
  CHECK ((role = 'buyer') = (buyer_id IS NOT NULL))
);

CREATE TABLE products (
  id              text PRIMARY KEY,
  merchant_id     text NOT NULL REFERENCES merchants(id),
  name            text NOT NULL,
  price           bigint NOT NULL CHECK (price > 0),
  stock           integer NOT NULL CHECK (stock >= 0),
  fulfilment_type text NOT NULL,
  created_at      timestamptz NOT NULL
);
CREATE INDEX products_merchant ON products (merchant_id, created_at);

CREATE TABLE live_rooms (
  id          text PRIMARY KEY,
  merchant_id text NOT NULL REFERENCES merchants(id),
  title       text NOT NULL,
  created_at  timestamptz NOT NULL
);
CREATE INDEX live_rooms_merchant ON live_rooms (merchant_id);

CREATE TABLE live_sessions (
  id                   text PRIMARY KEY,
  live_room_id         text NOT NULL REFERENCES live_rooms(id),
  host                 text NOT NULL,
  starts_at            timestamptz NOT NULL,
  ends_at              timestamptz NOT NULL CHECK (ends_at > starts_at),
  featured_product_ids text[] NOT NULL DEFAULT '{}',
  created_at           timestamptz NOT NULL
);
CREATE INDEX live_sessions_room ON live_sessions (live_room_id, starts_at);

-- payments module: one payment per checkout, covering its orders.
CREATE TABLE payments (
  id          text PRIMARY KEY,
  buyer_id    text NOT NULL REFERENCES buyers(id),
  amount      bigint NOT NULL CHECK (amount > 0),
  status      text NOT NULL,
  expires_at  timestamptz NOT NULL,
  succeeded_at timestamptz,
  created_at  timestamptz NOT NULL
);
CREATE INDEX payments_buyer ON payments (buyer_id, created_at);

CREATE TABLE orders (
  id                  text PRIMARY KEY,
  payment_id          text NOT NULL REFERENCES payments(id),
  merchant_id         text NOT NULL REFERENCES merchants(id),
  buyer_id            text NOT NULL REFERENCES buyers(id),
  status              text NOT NULL,
  amount              bigint NOT NULL CHECK (amount > 0),
  refunded_amount     bigint NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0 AND refunded_amount <= amount),
  fulfilment_type     text NOT NULL,
  pay_deadline        timestamptz NOT NULL,
  paid_at             timestamptz,
  shipped_at          timestamptz,
  auto_confirm_at     timestamptz,
  confirm_extended    boolean NOT NULL DEFAULT false,
  refund_paused_at    timestamptz,
  completed_at        timestamptz,
  closed_at           timestamptz,
  close_reason        text,
  attribution         jsonb,
  created_at          timestamptz NOT NULL
);
CREATE INDEX orders_payment ON orders (payment_id);
CREATE INDEX orders_merchant ON orders (merchant_id, created_at);
CREATE INDEX orders_buyer ON orders (buyer_id, created_at);
CREATE INDEX orders_unpaid_due ON orders (pay_deadline) WHERE status = 'pending_payment';
CREATE INDEX orders_confirm_due ON orders (auto_confirm_at) WHERE status = 'shipped';

CREATE TABLE order_items (
  order_id    text NOT NULL REFERENCES orders(id),
  product_id  text NOT NULL REFERENCES products(id),
  name        text NOT NULL,
  unit_price  bigint NOT NULL CHECK (unit_price > 0),
  quantity    integer NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (order_id, product_id)
);

CREATE TABLE refund_requests (
  id          text PRIMARY KEY,
  order_id    text NOT NULL REFERENCES orders(id),
  buyer_id    text NOT NULL REFERENCES buyers(id),
  merchant_id text NOT NULL REFERENCES merchants(id),
  amount      bigint NOT NULL CHECK (amount > 0),
  reason      text NOT NULL,
  status      text NOT NULL CHECK (status IN ('open', 'approved', 'declined')),
  decline_reason text,
  refund_id   text,
  created_at  timestamptz NOT NULL,
  decided_at  timestamptz
);
CREATE UNIQUE INDEX refund_requests_one_open ON refund_requests (order_id) WHERE status = 'open';

CREATE TABLE idempotency_keys (
  actor_id       text NOT NULL,
  method         text NOT NULL,
  path           text NOT NULL,
  key            text NOT NULL,
  request_hash   text NOT NULL,
  state          text NOT NULL CHECK (state IN ('running', 'done')),
  response_status integer,
  response_body  text,
  created_at     timestamptz NOT NULL,
  PRIMARY KEY (actor_id, method, path, key)
);
