-- A request holding an Idempotency-Key while its command is on the way to the publisher.
-- Shared by every gateway, so a concurrent retry anywhere gets 409. UNLOGGED: a crash only
-- forgets who was in flight, and the publisher's dedup still holds.
CREATE UNLOGGED TABLE idempotency_inflight (
    owner_account_id  bigint NOT NULL,
    idempotency_key   text NOT NULL,
    expires_at        timestamptz NOT NULL,
    PRIMARY KEY (owner_account_id, idempotency_key)
);
