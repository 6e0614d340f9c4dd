-- A channel's former slugs, so links and feed subscriptions made before a slug changed still
-- lead to it: discovery answers a former slug's page or feed with 301 to the current one. A
-- slug is current for at most one channel (channels_slug) and former for at most one: a
-- channel that takes a slug, new or back, takes it from this table, and a slug given up
-- again belongs to the channel that gave it up last. Triggers keep it, whatever path changes
-- a slug (the developer API, the portal, `pinned channels visibility`).
CREATE TABLE channel_former_slugs (
    slug        text PRIMARY KEY,
    channel_id  bigint NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    retired_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX channel_former_slugs_channel ON channel_former_slugs (channel_id);

CREATE FUNCTION channel_slug_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM channel_former_slugs WHERE slug = NEW.slug;
    IF TG_OP = 'UPDATE' AND OLD.slug IS DISTINCT FROM NEW.slug THEN
        INSERT INTO channel_former_slugs (slug, channel_id) VALUES (OLD.slug, NEW.id)
        ON CONFLICT (slug) DO UPDATE
            SET channel_id = EXCLUDED.channel_id, retired_at = EXCLUDED.retired_at;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER channels_slug_changed
    AFTER INSERT OR UPDATE OF slug ON channels
    FOR EACH ROW EXECUTE FUNCTION channel_slug_changed();
