-- Gateways lease a share of a quota at a time instead of counting every request in the
-- database: `quota` lets the statement grant no more than what is left, `granted` returns
-- what this statement's lease got (RETURNING sees only the new row).
ALTER TABLE rate_limit_counters ADD COLUMN quota integer NOT NULL DEFAULT 0;
ALTER TABLE rate_limit_counters ADD COLUMN granted integer NOT NULL DEFAULT 0;
