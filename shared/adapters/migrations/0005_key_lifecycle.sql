-- Every change of a key's state, for the owner's audit trail: who did what, when, and why.
CREATE TABLE key_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key_id      uuid NOT NULL REFERENCES api_keys (id),
    account_id  bigint NOT NULL REFERENCES accounts (id),
    action      text NOT NULL CHECK (action IN ('created', 'disabled', 'enabled', 'revoked', 'rotated')),
    actor       text NOT NULL,
    reason      text,
    occurred_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX key_events_key ON key_events (key_id, occurred_at);
CREATE INDEX key_events_account ON key_events (account_id, occurred_at);
