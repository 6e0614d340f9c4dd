-- Rotating an integration's secret keeps the old one valid for an overlap, so deliveries the
-- sender signs before its configuration is updated are not refused meanwhile.
ALTER TABLE integrations
    ADD COLUMN previous_secret text,
    ADD COLUMN previous_secret_until timestamptz;
