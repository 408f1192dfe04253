// Creates the first slice of the data model (12 collections, their fields and
// relations) on a running, EMPTY Directus through its REST API, the way a developer
// would in the admin app. .ci/dev/make-snapshot.sh runs it and then exports the result
// with `directus schema snapshot` (scripts/snapshot-export.sh): the snapshot is never
// written by hand.
//
//   node snapshot-model.mjs URL ADMIN_EMAIL ADMIN_PASSWORD
//
// Domain: a small shop back office -- catalogue, customers, orders, invoicing, shipping.
import { args, client } from './directus-rest.mjs';

const { url, email, password } = args('snapshot-model.mjs');
const call = client(url);

// --- field builders ------------------------------------------------------------------
const intId = () => ({
  field: 'id', type: 'integer',
  meta: { hidden: true, interface: 'input', readonly: true },
  schema: { is_primary_key: true, has_auto_increment: true },
});
const uuidId = () => ({
  field: 'id', type: 'uuid',
  meta: { hidden: true, interface: 'input', readonly: true, special: ['uuid'] },
  schema: { is_primary_key: true, length: 36, has_auto_increment: false },
});
const str = (field, { len = 255, required = false, unique = false, note } = {}) => ({
  field, type: 'string',
  meta: { interface: 'input', required, width: 'half', ...(note ? { note } : {}) },
  schema: { max_length: len, is_nullable: !required, is_unique: unique },
});
const text = (field) => ({ field, type: 'text', meta: { interface: 'input-multiline', width: 'full' }, schema: {} });
const int = (field, def = null) => ({ field, type: 'integer', meta: { interface: 'input', width: 'half' }, schema: { default_value: def } });
const money = (field, required = true) => ({
  field, type: 'decimal',
  meta: { interface: 'input', width: 'half', required },
  schema: { numeric_precision: 12, numeric_scale: 2, is_nullable: !required, default_value: required ? 0 : null },
});
const bool = (field, def) => ({ field, type: 'boolean', meta: { interface: 'boolean', special: ['cast-boolean'], width: 'half' }, schema: { default_value: def, is_nullable: false } });
const date = (field) => ({ field, type: 'date', meta: { interface: 'datetime', width: 'half' }, schema: {} });
const dateTime = (field) => ({ field, type: 'dateTime', meta: { interface: 'datetime', width: 'half' }, schema: {} });
const created = () => ({ field: 'date_created', type: 'timestamp', meta: { special: ['date-created'], interface: 'datetime', readonly: true, hidden: true, width: 'half' }, schema: {} });
const updated = () => ({ field: 'date_updated', type: 'timestamp', meta: { special: ['date-updated'], interface: 'datetime', readonly: true, hidden: true, width: 'half' }, schema: {} });
const choice = (field, choices, def) => ({
  field, type: 'string',
  meta: { interface: 'select-dropdown', width: 'half', required: true, options: { choices: choices.map((c) => ({ text: c, value: c })) } },
  schema: { max_length: 32, is_nullable: false, default_value: def },
});
// many-to-one: the foreign key column; the relation is created afterwards
const m2o = (field, type = 'integer', required = false) => ({
  field, type,
  meta: { interface: 'select-dropdown-m2o', special: ['m2o'], width: 'half', required },
  schema: { is_nullable: !required },
});

const collections = [
  { collection: 'countries', icon: 'public', note: 'ISO 3166-1 countries', fields: [
    { field: 'code', type: 'string', meta: { interface: 'input', width: 'half', note: 'ISO 3166-1 alpha-2' }, schema: { is_primary_key: true, max_length: 2, has_auto_increment: false } },
    str('name', { required: true }),
  ] },
  { collection: 'customers', icon: 'person', note: 'People and companies who order', fields: [
    uuidId(), str('first_name', { required: true }), str('last_name', { required: true }),
    str('email', { required: true, unique: true }), str('phone', { len: 32 }), created(), updated(),
  ] },
  { collection: 'addresses', icon: 'home', note: 'Postal addresses of customers', fields: [
    intId(), str('label', { len: 64 }), str('street', { required: true }), str('city', { required: true }),
    str('postal_code', { len: 16 }),
  ] },
  { collection: 'categories', icon: 'category', note: 'Product categories (a tree)', fields: [
    intId(), str('name', { required: true }), str('slug', { len: 128, required: true, unique: true }), int('sort'),
  ] },
  { collection: 'suppliers', icon: 'local_shipping', note: 'Who we buy from', fields: [
    intId(), str('name', { required: true }), str('email'), str('phone', { len: 32 }),
  ] },
  { collection: 'products', icon: 'inventory_2', note: 'What we sell', fields: [
    intId(), str('sku', { len: 64, required: true, unique: true }), str('name', { required: true }), text('description'),
    money('price'), bool('active', true), created(), updated(),
  ] },
  { collection: 'warehouses', icon: 'warehouse', note: 'Where stock is kept and shipped from', fields: [
    intId(), str('name', { required: true }), str('city'),
  ] },
  { collection: 'orders', icon: 'shopping_cart', note: 'Customer orders', fields: [
    uuidId(), choice('status', ['draft', 'placed', 'paid', 'shipped', 'cancelled'], 'draft'), dateTime('ordered_at'),
    money('total'), text('notes'), created(), updated(),
  ] },
  { collection: 'order_items', icon: 'list', note: 'Lines of an order', fields: [
    intId(), int('quantity', 1), money('unit_price'),
  ] },
  { collection: 'invoices', icon: 'receipt_long', note: 'Invoices for orders', fields: [
    intId(), str('number', { len: 32, required: true, unique: true }), date('issued_on'), date('due_on'), money('amount'),
  ] },
  { collection: 'payments', icon: 'payments', note: 'Payments received against invoices', fields: [
    intId(), dateTime('paid_at'), money('amount'), choice('method', ['card', 'transfer', 'cash'], 'card'),
  ] },
  { collection: 'shipments', icon: 'package_2', note: 'Parcels sent for orders', fields: [
    intId(), str('carrier', { len: 64 }), str('tracking_number', { len: 64 }), dateTime('shipped_at'), dateTime('delivered_at'),
  ] },
];

// [collection, fk field, fk type, related collection, on_delete, o2m alias on the related side or null]
const relations = [
  ['addresses', 'customer', 'uuid', 'customers', 'CASCADE', 'addresses'],
  ['addresses', 'country', 'string', 'countries', 'SET NULL', null],
  ['categories', 'parent', 'integer', 'categories', 'SET NULL', 'children'],
  ['suppliers', 'country', 'string', 'countries', 'SET NULL', null],
  ['products', 'category', 'integer', 'categories', 'SET NULL', 'products'],
  ['products', 'supplier', 'integer', 'suppliers', 'SET NULL', 'products'],
  ['warehouses', 'country', 'string', 'countries', 'SET NULL', null],
  ['orders', 'customer', 'uuid', 'customers', 'SET NULL', 'orders'],
  ['orders', 'shipping_address', 'integer', 'addresses', 'SET NULL', null],
  ['order_items', 'order', 'uuid', 'orders', 'CASCADE', 'items'],
  ['order_items', 'product', 'integer', 'products', 'SET NULL', null],
  ['invoices', 'order', 'uuid', 'orders', 'SET NULL', 'invoices'],
  ['payments', 'invoice', 'integer', 'invoices', 'CASCADE', 'payments'],
  ['shipments', 'order', 'uuid', 'orders', 'CASCADE', 'shipments'],
  ['shipments', 'warehouse', 'integer', 'warehouses', 'SET NULL', null],
];

const login = await call('POST', '/auth/login', { email, password });
const token = login.data.access_token;

let sort = 1;
for (const c of collections) {
  await call('POST', '/collections', {
    collection: c.collection,
    meta: { icon: c.icon, note: c.note, sort: sort++, accountability: 'all' },
    schema: {},
    fields: c.fields,
  }, token);
}
for (const [collection, field, type, related, onDelete, alias] of relations) {
  const fk = m2o(field, type);
  if (type === 'string') fk.schema.max_length = 2;
  await call('POST', `/fields/${collection}`, fk, token);
  if (alias) {
    await call('POST', `/fields/${related}`, {
      field: alias, type: 'alias',
      meta: { interface: 'list-o2m', special: ['o2m'], width: 'full' },
    }, token);
  }
  await call('POST', '/relations', {
    collection, field, related_collection: related,
    meta: { one_field: alias, sort_field: null, one_deselect_action: 'nullify' },
    schema: { on_delete: onDelete },
  }, token);
}
const check = await call('GET', '/collections', undefined, token);
const mine = check.data.filter((c) => !c.collection.startsWith('directus_')).map((c) => c.collection);
console.log(`[make-snapshot] created ${mine.length} collections: ${mine.join(', ')}`);
if (mine.length !== 12) process.exit(1);
