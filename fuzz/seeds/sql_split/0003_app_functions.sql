-- 0003: helper functions in the app schema.
--
-- app.slugify(text): 'Crème Brûlée  Bar' -> 'creme-brulee-bar'; used by triggers and
-- reports that need URL-safe keys.
CREATE OR REPLACE FUNCTION app.slugify(input text)
RETURNS text
LANGUAGE sql
STABLE
STRICT
AS $$
  SELECT trim(BOTH '-' FROM regexp_replace(lower(public.unaccent(input)), '[^a-z0-9]+', '-', 'g'))
$$;

COMMENT ON FUNCTION app.slugify(text) IS 'Lower-case, accent-free, dash-separated key for a title.';

-- app.touch_date_updated(): BEFORE UPDATE trigger function that stamps date_updated,
-- for tables changed by SQL outside Directus (Directus stamps it itself).
CREATE OR REPLACE FUNCTION app.touch_date_updated()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  NEW.date_updated := now();
  RETURN NEW;
END
$$;

COMMENT ON FUNCTION app.touch_date_updated() IS 'BEFORE UPDATE trigger: sets NEW.date_updated to now().';
