-- ledger module: append-only double-entry journal mirroring what each provider holds for whom.
CREATE TABLE ledger_entries (
  id              text PRIMARY KEY,
  idempotency_key text NOT NULL UNIQUE,
  cause           text NOT NULL,
  cause_id        text NOT NULL,
  provider        text,
  merchant_id     text,
  order_id        text,
  trade_ref       text,
  description     text NOT NULL,
  occurred_at     timestamptz NOT NULL,
  created_at      timestamptz NOT NULL
);
CREATE INDEX ledger_entries_order ON ledger_entries (order_id);
CREATE INDEX ledger_entries_trade ON ledger_entries (trade_ref);

CREATE TABLE ledger_postings (
  entry_id   text NOT NULL REFERENCES ledger_entries(id),
  account    text NOT NULL,
  amount     bigint NOT NULL CHECK (amount <> 0),
  trade_ref  text,
  PRIMARY KEY (entry_id, account)
);
CREATE INDEX ledger_postings_account ON ledger_postings (account);
CREATE INDEX ledger_postings_trade ON ledger_postings (trade_ref, account);

CREATE TABLE ledger_balances (
  account text PRIMARY KEY,
  balance bigint NOT NULL
);

CREATE TABLE commission_rates (
  category       text NOT NULL,
  rate_bp        integer NOT NULL CHECK (rate_bp BETWEEN 0 AND 3000),
  effective_from timestamptz NOT NULL,
  created_at     timestamptz NOT NULL,
  PRIMARY KEY (category, effective_from)
);
-- The default for every category ('*'): 5%.
INSERT INTO commission_rates (category, rate_bp, effective_from, created_at) VALUES ('*', 500, '2000-01-01T00:00:00Z', now());

-- payments module: releasing an order's escrow (share the commission, release the rest) as a resumable saga.
CREATE TABLE escrow_releases (
  order_id        text PRIMARY KEY REFERENCES orders(id),
  provider        text NOT NULL,
  out_trade_no    text NOT NULL,
  sub_merchant_id text NOT NULL,
  transaction_id  text NOT NULL,
  amount          bigint NOT NULL,
  commission      bigint,
  commission_base bigint,
  status          text NOT NULL CHECK (status IN ('pending', 'processing', 'released', 'failed')),
  out_order_no    text NOT NULL,
  failure_code    text,
  next_check_at   timestamptz NOT NULL,
  check_count     integer NOT NULL DEFAULT 0,
  released_at     timestamptz,
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL
);
CREATE INDEX escrow_releases_due ON escrow_releases (next_check_at) WHERE status IN ('pending', 'processing');

CREATE TABLE reconciliation_runs (
  id          text PRIMARY KEY,
  provider    text NOT NULL,
  bill_date   date NOT NULL,
  status      text NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
  matched     integer NOT NULL DEFAULT 0,
  mismatches  jsonb NOT NULL DEFAULT '[]',
  error       text,
  created_at  timestamptz NOT NULL,
  finished_at timestamptz
);

-- Refunds of released orders return the shared commission first (in proportion).
ALTER TABLE refunds ADD COLUMN commission_return bigint;
ALTER TABLE refunds ADD COLUMN commission_returned boolean NOT NULL DEFAULT false;
