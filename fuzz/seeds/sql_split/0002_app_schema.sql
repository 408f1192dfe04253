-- 0002: a schema for app-owned SQL objects (functions, triggers, views).
--
-- Directus only introspects the public schema, so objects in `app` never show up as
-- collections and never appear in a schema snapshot. Only the owner (DB_USER) may
-- create objects in it; everybody may use what is there.
CREATE SCHEMA IF NOT EXISTS app;

COMMENT ON SCHEMA app IS 'App-owned SQL objects (functions, triggers). Managed by db-init migrations, not by Directus.';

REVOKE ALL ON SCHEMA app FROM PUBLIC;
GRANT USAGE ON SCHEMA app TO PUBLIC;
