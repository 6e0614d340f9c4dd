-- The owner's audit query reads an account's requests newest first.
CREATE INDEX audit_log_owner_time ON audit_log (owner_account_id, occurred_at DESC);
