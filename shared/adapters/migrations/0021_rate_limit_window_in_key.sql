-- A window is named by its length as well as its start: at the top of an hour a 60-second
-- window and a 3,600-second one start at the same second, and with (bucket, window_start)
-- alone they shared one row, so a bucket whose window length changed (a configuration change
-- rolling through replicas, or replicas configured apart) inherited the other's count.
ALTER TABLE rate_limit_counters DROP CONSTRAINT rate_limit_counters_pkey;
ALTER TABLE rate_limit_counters ADD PRIMARY KEY (bucket, window_seconds, window_start);
