-- A delivery refused because its integration was over its quota is recorded too, so the owner
-- can see which documents the sender must send again.
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_status_check;
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_status_check
    CHECK (status IN ('accepted', 'ignored', 'invalid', 'unauthorized', 'rate_limited'));
