-- Accounts own channels and API keys; channels may have members from other accounts.
CREATE TABLE accounts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE channels (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_account_id  bigint NOT NULL REFERENCES accounts (id),
    name              text NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX channels_owner ON channels (owner_account_id);

CREATE TABLE channel_members (
    channel_id  bigint NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    account_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role        text NOT NULL DEFAULT 'editor',
    added_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel_id, account_id)
);
CREATE INDEX channel_members_account ON channel_members (account_id);

CREATE TABLE api_keys (
    id              uuid PRIMARY KEY,
    account_id      bigint NOT NULL REFERENCES accounts (id),
    name            text NOT NULL,
    mode            text NOT NULL CHECK (mode IN ('test', 'live')),
    prefix          text NOT NULL UNIQUE,
    secret_hash     bytea NOT NULL,
    scopes          text[] NOT NULL,
    status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled', 'revoked')),
    expires_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    revoked_at      timestamptz,
    revoked_reason  text,
    revoked_by      text,
    last_used_at    timestamptz,
    last_used_ip    inet,
    request_count   bigint NOT NULL DEFAULT 0
);

-- The publisher is the only writer of this table.
CREATE TABLE events (
    id                uuid PRIMARY KEY,
    owner_account_id  bigint NOT NULL REFERENCES accounts (id),
    channel_id        bigint NOT NULL REFERENCES channels (id),
    status            text NOT NULL,
    title             text NOT NULL,
    start_at          timestamptz NOT NULL,
    end_at            timestamptz,
    timezone          text NOT NULL,
    source_id         text,
    body              jsonb NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_channel_start ON events (channel_id, start_at);

-- Dedup rests here: a NOT NULL unique key written in the same transaction as the event.
CREATE TABLE idempotency_keys (
    owner_account_id  bigint NOT NULL,
    idempotency_key   text NOT NULL,
    request_hash      text NOT NULL,
    event_id   uuid NOT NULL,
    message_id        uuid NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (owner_account_id, idempotency_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TABLE audit_log (
    record_id         uuid PRIMARY KEY,
    request_id        text NOT NULL,
    occurred_at       timestamptz NOT NULL,
    method            text NOT NULL,
    route             text NOT NULL,
    path              text NOT NULL,
    status            integer NOT NULL,
    duration_seconds  double precision NOT NULL,
    client_ip         inet,
    user_agent        text,
    owner_account_id  bigint,
    api_key_id        uuid,
    key_prefix        text,
    error_code        text
);
CREATE INDEX audit_log_key_time ON audit_log (api_key_id, occurred_at);
CREATE INDEX audit_log_request ON audit_log (request_id);

CREATE TABLE command_outcomes (
    message_id        uuid PRIMARY KEY,
    request_id        text NOT NULL,
    owner_account_id  bigint NOT NULL,
    event_id   uuid NOT NULL,
    status            text NOT NULL,
    reason_code       text,
    reason            text,
    decided_at        timestamptz NOT NULL
);
