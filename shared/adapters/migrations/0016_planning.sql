-- The planning layer: people (the public, not integration owners), their sessions, and
-- what they plan around events: follows, saves, RSVPs with capacity and a waitlist,
-- reminders, an inbox, a calendar feed and friends. docs/planning.md describes it.

CREATE TABLE people (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email                 text NOT NULL,
    email_key             text NOT NULL UNIQUE,    -- lower-cased: one account per address
    display_name          text NOT NULL,
    password_hash         text NOT NULL,           -- argon2id, PHC string
    share_plans           boolean NOT NULL DEFAULT false,
    reminder_minutes      integer[] NOT NULL DEFAULT '{1440,60}',
    calendar_token_hash   bytea UNIQUE,            -- sha256 of the secret feed token
    failed_signins        integer NOT NULL DEFAULT 0,
    locked_until          timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now()
);

-- Opaque tokens, stored as their sha256; checked on every request, so a revocation or an
-- expiry stops the session at once.
CREATE TABLE person_sessions (
    id            uuid PRIMARY KEY,
    person_id     bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    token_hash    bytea NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz,
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    user_agent    text
);
CREATE INDEX person_sessions_person ON person_sessions (person_id);

-- What happened to an account, without personal data (no e-mail, no IP): deleting an
-- account removes its rows here too and leaves one `account_deleted` row.
CREATE TABLE people_audit (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id    bigint NOT NULL,
    action       text NOT NULL,
    request_id   text,
    detail       jsonb NOT NULL DEFAULT '{}',
    occurred_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX people_audit_person ON people_audit (person_id, occurred_at);

CREATE TABLE follows (
    person_id   bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('channel', 'city', 'classification')),
    target      text NOT NULL,   -- channel id, place id or classification slug
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (person_id, kind, target)
);

-- What planning knows of an event: kept by the notifier from the change stream (newer
-- versions only), seeded from the read model by the first plan made before the notifier
-- saw the event. Every RSVP of an event locks its row, so capacity, counts and waitlist
-- promotions are decided one at a time per event.
CREATE TABLE plan_events (
    event_id    uuid PRIMARY KEY,
    version     integer NOT NULL,
    status      text NOT NULL,
    channel_id  bigint NOT NULL,
    title       text NOT NULL,
    start_at    timestamptz NOT NULL,
    end_at      timestamptz,
    timezone    text NOT NULL,
    capacity    integer CHECK (capacity > 0),
    going       integer NOT NULL DEFAULT 0 CHECK (going >= 0),
    interested  integer NOT NULL DEFAULT 0 CHECK (interested >= 0),
    waitlisted  integer NOT NULL DEFAULT 0 CHECK (waitlisted >= 0),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE saves (
    person_id   bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    event_id    uuid NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (person_id, event_id)
);
CREATE INDEX saves_event ON saves (event_id);

CREATE SEQUENCE rsvp_waitlist_order;
CREATE TABLE rsvps (
    person_id      bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    event_id       uuid NOT NULL,
    status         text NOT NULL
        CHECK (status IN ('going', 'interested', 'not_going', 'waitlisted')),
    -- place in the waitlist (earliest first), set while waitlisted
    waitlist_seq   bigint CHECK ((status = 'waitlisted') = (waitlist_seq IS NOT NULL)),
    responded_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (person_id, event_id)
);
CREATE INDEX rsvps_event ON rsvps (event_id, status);
CREATE INDEX rsvps_waitlist ON rsvps (event_id, waitlist_seq) WHERE status = 'waitlisted';

CREATE TABLE reminder_overrides (
    person_id  bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    event_id   uuid NOT NULL,
    minutes    integer[] NOT NULL,
    PRIMARY KEY (person_id, event_id)
);

-- One row per reminder of a planned event: due_at follows the event's start; the scheduler
-- emits pending rows once due (FOR UPDATE SKIP LOCKED: schedulers share the work), and marks
-- them sent in the transaction that held them.
CREATE TABLE reminders (
    person_id       bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    event_id        uuid NOT NULL,
    minutes_before  integer NOT NULL,
    due_at          timestamptz NOT NULL,
    state           text NOT NULL CHECK (state IN ('pending', 'sent', 'skipped')),
    sent_at         timestamptz,
    PRIMARY KEY (person_id, event_id, minutes_before)
);
CREATE INDEX reminders_due ON reminders (due_at) WHERE state = 'pending';
CREATE INDEX reminders_event ON reminders (event_id);

-- The inbox. Ids are derived from what the notice is about, so a notice delivered twice
-- (a redelivered record, a scheduler restarted mid-batch) is stored once.
CREATE TABLE notifications (
    id          uuid PRIMARY KEY,
    person_id   bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    kind        text NOT NULL,
    event_id    uuid,
    title       text NOT NULL,
    body        text NOT NULL,
    data        jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    read_at     timestamptz
);
CREATE INDEX notifications_person ON notifications (person_id, created_at DESC, id DESC);
CREATE INDEX notifications_unread ON notifications (person_id, created_at DESC, id DESC)
    WHERE read_at IS NULL;

CREATE TABLE friend_requests (
    id           uuid PRIMARY KEY,
    from_person  bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    to_person    bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (from_person, to_person),
    CHECK (from_person <> to_person)
);
CREATE INDEX friend_requests_to ON friend_requests (to_person);

-- Both directions are stored, so "my friends" is one index range.
CREATE TABLE friendships (
    person_id  bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    friend_id  bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    since      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (person_id, friend_id)
);
