-- 0001: stamp date_updated on rows changed by SQL outside Directus (reports, imports,
-- psql fixes). Directus stamps the field itself on its own writes; this trigger covers
-- every other UPDATE. app.touch_date_updated() comes from db-init 0003.
--
-- In db-post/ because the tables are the snapshot's collections (customers, orders and
-- products have a date_updated field): on a fresh database they exist only after the
-- schema step. DROP ... IF EXISTS + CREATE keeps it re-runnable on any PostgreSQL.
DROP TRIGGER IF EXISTS touch_date_updated ON public.customers;
CREATE TRIGGER touch_date_updated
  BEFORE UPDATE ON public.customers
  FOR EACH ROW EXECUTE FUNCTION app.touch_date_updated();

DROP TRIGGER IF EXISTS touch_date_updated ON public.orders;
CREATE TRIGGER touch_date_updated
  BEFORE UPDATE ON public.orders
  FOR EACH ROW EXECUTE FUNCTION app.touch_date_updated();

DROP TRIGGER IF EXISTS touch_date_updated ON public.products;
CREATE TRIGGER touch_date_updated
  BEFORE UPDATE ON public.products
  FOR EACH ROW EXECUTE FUNCTION app.touch_date_updated();
