-- 0001: PostgreSQL extensions the application relies on.
--
-- All four are "trusted" extensions (PostgreSQL 13+), so the database owner that
-- Directus connects as (DB_USER) can create them without superuser rights.
-- They live in the public schema, next to the tables Directus manages.
CREATE EXTENSION IF NOT EXISTS pgcrypto;  -- digest(), crypt(), gen_random_bytes()
CREATE EXTENSION IF NOT EXISTS citext;    -- case-insensitive text, for e-mail addresses
CREATE EXTENSION IF NOT EXISTS pg_trgm;   -- trigram indexes for fuzzy search
CREATE EXTENSION IF NOT EXISTS unaccent;  -- accent folding, used by app.slugify()
