-- Gateways cache key records and channel access for a few seconds; these triggers tell them
-- at commit (NOTIFY) which key or channel changed, so a revocation or a lost membership takes
-- effect in milliseconds rather than at the cache's expiry. Usage counters the auditor bumps
-- on api_keys are not listed, so they never invalidate anything.
CREATE FUNCTION notify_access_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed text;
BEGIN
    IF TG_TABLE_NAME = 'api_keys' THEN
        changed := 'key:' || COALESCE(NEW.prefix, OLD.prefix);
    ELSIF TG_TABLE_NAME = 'channel_members' THEN
        changed := 'channel:' || COALESCE(NEW.channel_id, OLD.channel_id);
        IF TG_OP = 'UPDATE' AND NEW.channel_id <> OLD.channel_id THEN
            PERFORM pg_notify('pinned_access_changed', 'channel:' || OLD.channel_id);
        END IF;
    ELSE
        changed := 'channel:' || COALESCE(NEW.id, OLD.id);
    END IF;
    PERFORM pg_notify('pinned_access_changed', changed);
    RETURN NULL;
END
$$;

CREATE TRIGGER api_keys_access_changed
    AFTER INSERT OR DELETE OR UPDATE OF account_id, prefix, secret_hash, scopes, status, expires_at
    ON api_keys FOR EACH ROW EXECUTE FUNCTION notify_access_changed();

CREATE TRIGGER channel_members_access_changed
    AFTER INSERT OR DELETE OR UPDATE ON channel_members
    FOR EACH ROW EXECUTE FUNCTION notify_access_changed();

CREATE TRIGGER channels_access_changed
    AFTER DELETE OR UPDATE OF owner_account_id ON channels
    FOR EACH ROW EXECUTE FUNCTION notify_access_changed();
