-- Fixed-window request counters shared by every gateway process, so limits hold for the
-- deployment as a whole. UNLOGGED: fast, and losing counts in a crash only resets windows.
CREATE UNLOGGED TABLE rate_limit_counters (
    bucket        text NOT NULL,
    window_start  bigint NOT NULL,
    hits          integer NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
