-- Gateways cache the integration a webhook delivery names (its secrets, mapping and status)
-- for a few seconds, as they cache keys (0009): these triggers tell them at commit which
-- integration changed, so a paused, deleted or re-keyed integration takes effect in
-- milliseconds rather than at the cache's expiry. A new integration is announced too: cheap,
-- and a gateway never holds an entry for an id it could not find.
CREATE FUNCTION notify_integration_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('pinned_access_changed', 'integration:' || COALESCE(NEW.id, OLD.id));
    RETURN NULL;
END
$$;

CREATE TRIGGER integrations_access_changed
    AFTER INSERT OR DELETE OR UPDATE ON integrations
    FOR EACH ROW EXECUTE FUNCTION notify_integration_changed();

-- A disabled account's integrations are unknown to their senders (for_intake): every gateway
-- is told about each of them, as about each of the account's keys (0019).
CREATE OR REPLACE FUNCTION notify_account_access_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('pinned_access_changed', 'key:' || k.prefix)
    FROM api_keys k WHERE k.account_id = NEW.id;
    PERFORM pg_notify('pinned_access_changed', 'integration:' || i.id)
    FROM integrations i WHERE i.account_id = NEW.id;
    RETURN NULL;
END
$$;
