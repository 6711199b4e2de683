-- ledger module: reconciliation against the providers' daily bills.
-- A day's ledger events are found by provider and the time the provider acted (payments: its payment time).
CREATE INDEX ledger_entries_provider_occurred ON ledger_entries (provider, occurred_at);

-- Per bill type: how many lines the provider's bill had and how many matched a ledger event exactly.
ALTER TABLE reconciliation_runs ADD COLUMN bills jsonb NOT NULL DEFAULT '[]';
CREATE INDEX reconciliation_runs_created ON reconciliation_runs (created_at, id);

-- Bills name payments by the provider's transaction id and shares by out_order_no; reconciliation looks both up
-- (through the payments module's reads).
CREATE INDEX attempt_orders_transaction ON attempt_orders (transaction_id) WHERE transaction_id IS NOT NULL;
CREATE INDEX escrow_releases_out_order_no ON escrow_releases (out_order_no);
