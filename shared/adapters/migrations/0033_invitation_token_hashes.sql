-- An invitation's token is kept as its sha256 only, as sessions and keys are: a reader of the
-- database (a replica, a backup, pg_dump) could use a pending one to take over the account
-- it is for. So a link is printed once, when it is made; `pinned accounts invite` (or
-- `pinned operators invite`) makes a new one, and the old one stops working.
ALTER TABLE portal_invitations ADD COLUMN token_hash bytea UNIQUE;
UPDATE portal_invitations SET token_hash = sha256(convert_to(token, 'UTF8'))
WHERE token IS NOT NULL;
ALTER TABLE portal_invitations DROP COLUMN token;
