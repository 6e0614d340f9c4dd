-- The publisher stores a small fetch of creates (new events, records sent again) in one
-- statement outside a transaction block (services/publisher/bulk.py): one round trip
-- instead of five (BEGIN, SAVEPOINT, the statement, RELEASE, COMMIT), most of a small
-- fetch's cost. Its all-or-nothing rests on this check, which fails the statement, and so
-- undoes all of it, when it did not store or replace every create (a key seen before; a
-- stale or recurring record sent again); the publisher then takes the transaction path: the
-- set-based statement under a savepoint and the creates it left one by one, or, after a
-- broken constraint, every command one by one.
-- (Comment revised on 2026-12-03; the function is as applied.)
CREATE FUNCTION creates_all_stored(arrived bigint, stored bigint) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF stored <> arrived THEN
        RAISE EXCEPTION 'stored % of % creates', stored, arrived USING ERRCODE = 'PE409';
    END IF;
    RETURN true;
END
$$;
