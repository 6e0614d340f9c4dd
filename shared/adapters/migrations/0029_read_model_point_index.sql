-- The radius search's GiST index, on the event's point without the `earth` domain: indexing
-- ll_to_earth(latitude, longitude) checked the domain's three CHECKs on every read-model
-- insert (the index was 14 us of a row's insert measured alone, 9 without them; the projector
-- writes every event and occurrence). The expression is ll_to_earth's own arithmetic, so the
-- points, and the bounding box and distance the search compares them with, are unchanged; the
-- search names this expression (services/discovery/queries/search.py, EVENT_POINT). A
-- discovery replica still on the old statement (naming ll_to_earth) searches a radius without
-- this index until it is replaced; the build holds the read model's writes (the projector
-- waits) for as long as it takes, seconds for a million rows.
CREATE INDEX discovery_events_point ON discovery_events USING gist (
    cube(cube(cube(earth() * cos(radians(latitude)) * cos(radians(longitude))),
        earth() * cos(radians(latitude)) * sin(radians(longitude))),
        earth() * sin(radians(latitude))),
    start_at
) WHERE status <> 'draft';
DROP INDEX discovery_events_earth;
