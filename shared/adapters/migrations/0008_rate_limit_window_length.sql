-- Each counter knows its own window length, so a gateway pruning with a short window cannot
-- delete the live counters of gateways configured with a longer one (mixed settings during a
-- rolling change, or side by side in tests).
ALTER TABLE rate_limit_counters ADD COLUMN window_seconds integer NOT NULL DEFAULT 60;
