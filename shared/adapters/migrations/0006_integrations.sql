-- A CMS, CRM or form tool pointed at POST /webhooks/{source}/{id}: who owns it, which channel
-- its entries land in, how it proves itself and how its content maps to event fields.
CREATE TABLE integrations (
    id            uuid PRIMARY KEY,
    account_id    bigint NOT NULL REFERENCES accounts (id),
    channel_id    bigint NOT NULL REFERENCES channels (id),
    name          text NOT NULL,
    source        text NOT NULL,
    verification  text NOT NULL CHECK (verification IN ('signature', 'token')),
    -- Signing secrets must be usable to recompute a signature, so they cannot be hashed.
    secret        text NOT NULL,
    mapping       jsonb NOT NULL,
    defaults      jsonb NOT NULL,
    actions       jsonb NOT NULL,
    status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX integrations_account ON integrations (account_id, created_at);

-- Every delivery the gateway answered, with what became of it. The publisher's verdict on an
-- accepted one is in command_outcomes (same message_id).
CREATE TABLE webhook_deliveries (
    id              uuid PRIMARY KEY,
    integration_id  uuid NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    request_id      text NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    sender_action   text,
    document_id     text,
    status          text NOT NULL CHECK (status IN ('accepted', 'ignored', 'invalid', 'unauthorized')),
    reason_code     text,
    reason          text,
    fields          jsonb,
    message_id      uuid,
    event_id        uuid
);
CREATE INDEX webhook_deliveries_integration ON webhook_deliveries (integration_id, received_at);
