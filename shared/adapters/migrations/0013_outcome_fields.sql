-- A rejected command's fields to fix ({path, code, message} each), so its fate can be read
-- back as completely as a waiting caller was told it.
ALTER TABLE command_outcomes ADD COLUMN fields jsonb;
