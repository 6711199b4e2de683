-- The outbox becomes ordered per payment and keeps what went wrong. Every event carries its payment id as the
-- ordering key and a sequence number within it (assigned under a lock on the stream's row, so in commit order);
-- consumers take only the head of each stream. An event that cannot be read (unknown topic, invalid payload) or that
-- keeps failing is dead-lettered: kept, never marked consumed, and it holds back the later events of its payment.
ALTER TABLE outbox ADD COLUMN ordering_key text;
ALTER TABLE outbox ADD COLUMN seq bigint;
ALTER TABLE outbox ADD COLUMN state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'consumed', 'dead'));
ALTER TABLE outbox ADD COLUMN attempts integer NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN next_attempt_at timestamptz;
ALTER TABLE outbox ADD COLUMN last_error text;

-- Refunds name their payment (a refund's events are ordered behind the payment they refund).
ALTER TABLE refunds ADD COLUMN payment_id text;
UPDATE refunds r SET payment_id = a.payment_id FROM attempts a WHERE a.id = r.attempt_id;
ALTER TABLE refunds ALTER COLUMN payment_id SET NOT NULL;

-- Events written before: give the unconsumed ones their payment id; each keeps its place by id.
UPDATE outbox o SET payload = o.payload || jsonb_build_object('payment_id', r.payment_id)
  FROM refunds r WHERE o.consumed_at IS NULL AND o.payload->>'refund_id' = r.id AND NOT o.payload ? 'payment_id';
UPDATE outbox o SET payload = o.payload || jsonb_build_object('payment_id', d.payment_id)
  FROM orders d WHERE o.consumed_at IS NULL AND o.topic = 'escrow.released' AND o.payload->>'order_id' = d.id AND NOT o.payload ? 'payment_id';
UPDATE outbox SET state = CASE WHEN consumed_at IS NULL THEN 'pending' ELSE 'consumed' END,
  ordering_key = COALESCE(payload->>'payment_id', aggregate_id), seq = id;
ALTER TABLE outbox ALTER COLUMN ordering_key SET NOT NULL;
ALTER TABLE outbox ALTER COLUMN seq SET NOT NULL;
CREATE UNIQUE INDEX outbox_stream_seq ON outbox (ordering_key, seq);
DROP INDEX outbox_unconsumed;
CREATE INDEX outbox_pending ON outbox (id) WHERE state = 'pending';
CREATE INDEX outbox_open_streams ON outbox (ordering_key, seq) WHERE state <> 'consumed';

CREATE TABLE outbox_streams (
  ordering_key  text PRIMARY KEY,
  last_seq      bigint NOT NULL
);
INSERT INTO outbox_streams (ordering_key, last_seq) SELECT ordering_key, max(seq) FROM outbox GROUP BY ordering_key;
