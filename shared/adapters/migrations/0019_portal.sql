-- Customer accounts without SQL, and the developer portal (/developers): the people who sign
-- in for an account (its owner) or for the platform (operators), their one-time invitations,
-- their sessions and what they did. docs/portal.md describes it.

ALTER TABLE accounts
    ADD COLUMN status              text NOT NULL DEFAULT 'active'
                                   CHECK (status IN ('active', 'disabled')),
    ADD COLUMN status_reason       text,
    ADD COLUMN status_changed_at   timestamptz,
    ADD COLUMN status_changed_by   text,
    ADD COLUMN created_by          text,
    -- Set when the owner has completed account setup on their first sign-in.
    ADD COLUMN setup_completed_at  timestamptz;

-- A disabled account's keys stop within the access cache's bound: every gateway is told
-- about each of its keys at commit, as when a key itself changes (0009), and reads a
-- disabled account's keys as inactive.
CREATE FUNCTION notify_account_access_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('pinned_access_changed', 'key:' || k.prefix)
    FROM api_keys k WHERE k.account_id = NEW.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER accounts_access_changed
    AFTER UPDATE OF status ON accounts
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION notify_account_access_changed();

-- Who signs in to the portal: an account's owner, or an operator of the platform (no
-- account; dead letters and every account). Integration owners are not people of the
-- discovery layer: their own table, sessions and cookie.
CREATE TABLE portal_users (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id           bigint REFERENCES accounts (id),
    role                 text NOT NULL CHECK (role IN ('owner', 'operator')),
    email                text NOT NULL,
    email_key            text NOT NULL UNIQUE,    -- lower-cased: one user per address
    display_name         text NOT NULL DEFAULT '',
    password_hash        text,                    -- argon2id; NULL until the invitation is used
    password_changed_at  timestamptz,
    failed_signins       integer NOT NULL DEFAULT 0,
    locked_until         timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    CHECK ((role = 'owner') = (account_id IS NOT NULL))
);
CREATE INDEX portal_users_account ON portal_users (account_id);

-- One-time links that let a user set their password. The token stays readable while the
-- invitation is pending, because an operator must be able to show the link again (the
-- owner lost the e-mail); it is erased when used, and useless once expired or replaced.
CREATE TABLE portal_invitations (
    id          uuid PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES portal_users (id) ON DELETE CASCADE,
    token       text UNIQUE,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX portal_invitations_user ON portal_invitations (user_id, created_at);

-- Opaque session tokens, stored as their sha256 and checked on every portal request: a
-- sign-out, a password change or an expiry (absolute, or idle) stops a session at once.
CREATE TABLE portal_sessions (
    id            uuid PRIMARY KEY,
    user_id       bigint NOT NULL REFERENCES portal_users (id) ON DELETE CASCADE,
    token_hash    bytea NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz,
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    user_agent    text
);
CREATE INDEX portal_sessions_user ON portal_sessions (user_id);

-- What happened to portal users and accounts: invitations, sign-ins (and failed ones),
-- password changes, setup, account status changes. No passwords, tokens or e-mail bodies.
CREATE TABLE portal_audit (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id   bigint REFERENCES accounts (id),
    user_id      bigint REFERENCES portal_users (id) ON DELETE SET NULL,
    action       text NOT NULL,
    actor        text NOT NULL,
    request_id   text,
    client_ip    inet,
    detail       jsonb NOT NULL DEFAULT '{}',
    occurred_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX portal_audit_account ON portal_audit (account_id, occurred_at);
CREATE INDEX portal_audit_user ON portal_audit (user_id, occurred_at);

-- media:write is no longer a scope (no route ever used it; media uploads are not built):
-- keys that held it lose it, and nothing they could do changes.
UPDATE api_keys SET scopes = array_remove(scopes, 'media:write')
WHERE 'media:write' = ANY (scopes);
