-- A rejected command's fields to fix ({path, code, message} each), so its fate can be read
-- back as completely as a waiting caller was told it.
ALTER TABLE command_outcomes ADD COLUMN fields jsonb;

-- Keys the services share and nobody types: generated here, on each database, never in the
-- repository. 'operation-ids' signs the ids of accepted commands' operation resources, so a
-- gateway can tell an id it issued (accepted, not applied yet) from one it never did without
-- writing a row per accepted command. gen_random_uuid() draws from a strong random source.
CREATE TABLE service_secrets (
    name        text PRIMARY KEY,
    secret      bytea NOT NULL CHECK (length(secret) >= 16),
    created_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO service_secrets (name, secret)
VALUES ('operation-ids', decode(replace(gen_random_uuid()::text || gen_random_uuid()::text,
                                        '-', ''), 'hex'));

-- The body's fingerprint of the request holding a key in flight, so a request reusing the key
-- with another body is told so (422) at once rather than asked to retry (409).
ALTER TABLE idempotency_inflight ADD COLUMN request_hash text;
