-- Which dead letters were replayed, when and by whom (`pinned dlq`, the portal's dead-letter
-- page), so `pinned dlq replay --all` sends only those not replayed yet: run after each fix,
-- it used to send every letter again, and each one still broken came back as a new letter.
-- A letter is named by its place in pinned.dlq.v1 and its timestamp (a topic made again
-- starts its offsets over). Rows older than the topic's 30 days are dropped as new ones come.
CREATE TABLE dead_letter_replays (
    partition        integer NOT NULL,
    "offset"         bigint NOT NULL,
    dead_lettered_at timestamptz NOT NULL,
    replayed_at      timestamptz NOT NULL DEFAULT now(),
    replayed_by      text NOT NULL,
    replays          integer NOT NULL DEFAULT 1,
    PRIMARY KEY (partition, "offset", dead_lettered_at)
);
