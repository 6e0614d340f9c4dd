-- The publisher stores a small fetch of new events in one statement outside a transaction
-- block (services/publisher/bulk.py): one round trip instead of five (BEGIN, SAVEPOINT, the
-- statement, RELEASE, COMMIT), most of a small fetch's cost. Its all-or-nothing rests on
-- this check, which fails the statement, and so undoes all of it, when not every create
-- was new; the publisher then takes the transaction path, one command at a time.
CREATE FUNCTION creates_all_stored(arrived bigint, stored bigint) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF stored <> arrived THEN
        RAISE EXCEPTION 'stored % of % creates', stored, arrived USING ERRCODE = 'PE409';
    END IF;
    RETURN true;
END
$$;
