-- Channels become discoverable: `public` channels are listed and searchable and their
-- events appear on city pages, in search and in city and classification feeds; `unlisted`
-- ones are reachable only by their link (channel page, feeds, event pages); `private` ones
-- appear nowhere public. Existing channels stay private until their owner says otherwise.
ALTER TABLE channels
    ADD COLUMN visibility text NOT NULL DEFAULT 'private'
        CHECK (visibility IN ('public', 'unlisted', 'private')),
    ADD COLUMN slug text CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 80);

UPDATE channels SET slug = 'channel-' || id;
ALTER TABLE channels ALTER COLUMN slug SET NOT NULL;
CREATE UNIQUE INDEX channels_slug ON channels (slug);
CREATE INDEX channels_public_name ON channels (lower(name)) WHERE visibility = 'public';

-- A channel gets `channel-<id>` until its owner picks a slug (identity defaults are applied
-- before BEFORE triggers run, so the id is known here).
CREATE FUNCTION channel_default_slug() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.slug IS NULL THEN
        NEW.slug := 'channel-' || NEW.id;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER channels_default_slug BEFORE INSERT ON channels
    FOR EACH ROW EXECUTE FUNCTION channel_default_slug();

-- Owner keys manage their channels' visibility too (developer API, scope channels:manage).
UPDATE api_keys SET scopes = scopes || ARRAY['channels:manage']
WHERE 'keys:manage' = ANY (scopes) AND NOT 'channels:manage' = ANY (scopes);
