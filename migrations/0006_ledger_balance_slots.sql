-- Running balances are kept in a few slots per account: every payment posts to the same shared accounts (buyers,
-- provider fees), and one row per account would serialise all postings until each commits. An account's balance is
-- the sum of its slots.
ALTER TABLE ledger_balances ADD COLUMN slot smallint NOT NULL DEFAULT 0;
ALTER TABLE ledger_balances DROP CONSTRAINT ledger_balances_pkey;
ALTER TABLE ledger_balances ADD PRIMARY KEY (account, slot);
