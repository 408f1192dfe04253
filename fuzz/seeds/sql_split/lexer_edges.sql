-- trm-ci: ignore=migrations/destructive dropping the staging copy
DROP TABLE IF EXISTS staging_orders;
/* nested /* block */ comment */
CREATE TABLE "weird ""name""" (id bigint GENERATED ALWAYS AS IDENTITY, note text DEFAULT E'it\'s; fine');
DO $body$
BEGIN
  EXECUTE 'SELECT 1; SELECT 2';
  RAISE NOTICE $$nested; dollar$$;
END
$body$;
CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN NEW.updated_at := now(); RETURN NEW; END $fn$;
\set ON_ERROR_STOP on
\i other.sql
SELECT :'var', U&'\0041', B'1010', X'ff', $1;
CREATE INDEX CONCURRENTLY idx ON t (lower(name));
DROP INDEX CONCURRENTLY IF EXISTS idx;
ALTER TABLE t ATTACH PARTITION t_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
COPY t (a, b) FROM stdin;
1	2
\.
BEGIN; COMMIT; ROLLBACK;
DELETE FROM t; UPDATE t SET a = 1;
CREAT TABLE broken (id int);
