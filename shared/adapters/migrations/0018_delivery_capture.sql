-- What preview and replay need of a delivery, for the deliveries log's retention window: its
-- raw body (up to 256 KiB; NULL when larger), its query (WP Webhooks names the action there) and its headers with every signature, token,
-- cookie and authorization value redacted; the notes its mapping left (values a value map
-- left out, an image without alt text); the delivery a replay replays; and the idempotency
-- key its command carried or would carry, which a replay keeps. WooCommerce's ping is
-- recorded as `ping`.
ALTER TABLE webhook_deliveries
    ADD COLUMN headers jsonb,
    ADD COLUMN body bytea,
    ADD COLUMN notes jsonb,
    ADD COLUMN replay_of uuid,
    ADD COLUMN idempotency_key text,
    ADD COLUMN query text;
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_status_check;
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_status_check
    CHECK (status IN ('accepted', 'ignored', 'invalid', 'unauthorized', 'rate_limited', 'ping'));
-- What an integration configures about mapping besides the mapping itself: value maps, the
-- media base URL, the locale of localized fields, and where the document id, version and
-- action are (shared/domain/mapping/settings.py).
ALTER TABLE integrations ADD COLUMN mapping_settings jsonb NOT NULL DEFAULT '{}';
