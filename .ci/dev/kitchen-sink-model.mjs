// Builds a second data model on a running, EMPTY Directus through its REST API, the
// way the admin app does, using every structural kind a team meets: folder
// collections and nested groups, a singleton, many-to-one, one-to-many, many-to-many
// with its junction, many-to-any (a page builder) with its junction, translations
// (with a languages collection), file and image fields (relations to directus_files),
// a files field (many-to-many to directus_files), user fields (directus_users),
// presentation fields (divider, notice) and a field group, a field with validation
// and conditions, a sort field and an archive field.
//
// It is the source of the test corpus tests/fixtures/snapshots/real-11.17.4-kitchen-sink.yaml,
// NOT of the deployment's snapshot:
//
//   bash .ci/dev/make-snapshot.sh --model .ci/dev/kitchen-sink-model.mjs \
//     tests/fixtures/snapshots/real-11.17.4-kitchen-sink.yaml
//
//   node kitchen-sink-model.mjs URL ADMIN_EMAIL ADMIN_PASSWORD
import { args, client } from './directus-rest.mjs';

const { url, email, password } = args('kitchen-sink-model.mjs');
const call = client(url);

const login = await call('POST', '/auth/login', { email, password });
const token = login.data.access_token;
const post = (path, body) => call('POST', path, body, token);

// --- field builders (the payloads the admin app sends) ----------------------------
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
const str = (field, extra = {}) => ({
  field, type: 'string',
  meta: { interface: 'input', width: 'half', ...extra },
  schema: { max_length: 255 },
});
const text = (field) => ({ field, type: 'text', meta: { interface: 'input-rich-text-html', width: 'full' }, schema: {} });
const sortField = () => ({ field: 'sort', type: 'integer', meta: { interface: 'input', hidden: true }, schema: {} });
const status = () => ({
  field: 'status', type: 'string',
  meta: {
    width: 'full', interface: 'select-dropdown', display: 'labels',
    options: { choices: [
      { text: 'Published', value: 'published' }, { text: 'Draft', value: 'draft' }, { text: 'Archived', value: 'archived' },
    ] },
  },
  schema: { default_value: 'draft', is_nullable: false },
});
const userCreated = () => ({
  field: 'user_created', type: 'uuid',
  meta: { special: ['user-created'], interface: 'select-dropdown-m2o', options: { template: '{{avatar}} {{first_name}} {{last_name}}' }, display: 'user', readonly: true, hidden: true, width: 'half' },
  schema: {},
});
const dateCreated = () => ({
  field: 'date_created', type: 'timestamp',
  meta: { special: ['date-created'], interface: 'datetime', readonly: true, hidden: true, width: 'half', display: 'datetime', display_options: { relative: true } },
  schema: {},
});
const m2oField = (field, type = 'integer', iface = 'select-dropdown-m2o', special = ['m2o']) => ({
  field, type, meta: { interface: iface, special, width: 'half' }, schema: {},
});
const alias = (field, iface, special, options) => ({
  field, type: 'alias', meta: { interface: iface, special, width: 'full', ...(options ? { options } : {}) },
});
const relation = (collection, field, related, meta = {}, onDelete = 'SET NULL') => post('/relations', {
  collection, field, related_collection: related,
  meta: { sort_field: null, ...meta },
  schema: { on_delete: onDelete },
});

// --- folders and nested groups ------------------------------------------------------
// A folder is a collection without a table (`schema: null`); `meta.group` nests.
await post('/collections', { collection: 'website', meta: { icon: 'folder', collapse: 'open', sort: 1 }, schema: null });
await post('/collections', { collection: 'content', meta: { icon: 'folder_open', group: 'website', sort: 1, collapse: 'closed' }, schema: null });
await post('/collections', { collection: 'shop', meta: { icon: 'folder', sort: 2 }, schema: null });

// --- a singleton --------------------------------------------------------------------
await post('/collections', {
  collection: 'site_settings',
  meta: { singleton: true, icon: 'settings', group: 'website', sort: 2 },
  schema: {},
  fields: [intId(), str('site_name', { required: true }), text('footer')],
});

// --- languages and the translated, archivable, sortable articles ------------------
await post('/collections', {
  collection: 'languages',
  meta: { icon: 'translate', group: 'website', sort: 3 },
  schema: {},
  fields: [
    { field: 'code', type: 'string', meta: { interface: 'input', width: 'half' }, schema: { is_primary_key: true, max_length: 16, has_auto_increment: false } },
    str('name'),
    { field: 'direction', type: 'string', meta: { interface: 'select-dropdown', options: { choices: [{ text: 'LTR', value: 'ltr' }, { text: 'RTL', value: 'rtl' }] }, width: 'half' }, schema: { default_value: 'ltr' } },
  ],
});
await post('/collections', {
  collection: 'authors',
  meta: { icon: 'person', group: 'content', sort: 2, display_template: '{{name}}' },
  schema: {},
  fields: [intId(), str('name', { required: true })],
});
await post('/collections', {
  collection: 'tags',
  meta: { icon: 'sell', group: 'content', sort: 3 },
  schema: {},
  fields: [intId(), str('name', { required: true })],
});
await post('/collections', {
  collection: 'articles',
  meta: {
    icon: 'article', group: 'content', sort: 1, display_template: '{{title}}',
    archive_field: 'status', archive_value: 'archived', unarchive_value: 'draft', archive_app_filter: true,
    sort_field: 'sort', accountability: 'all', versioning: true,
  },
  schema: {},
  fields: [
    uuidId(), status(), sortField(), userCreated(), dateCreated(),
    str('title', { required: true }),
    // validation and conditions: a slug, required and pattern-checked, hidden while a draft
    {
      field: 'slug', type: 'string',
      meta: {
        interface: 'input', width: 'half', required: true, note: 'lower-case words joined by -',
        validation: { _and: [{ slug: { _regex: '^[a-z0-9]+(-[a-z0-9]+)*$' } }] },
        validation_message: 'lower-case letters, digits and dashes',
        conditions: [{ name: 'Hidden while draft', rule: { _and: [{ status: { _eq: 'draft' } }] }, hidden: true, options: { font: 'monospace' } }],
      },
      schema: { max_length: 128, is_unique: true },
    },
    // presentation fields (aliases without a column) and a field group
    alias('divider_media', 'presentation-divider', ['alias', 'no-data'], { title: 'Media', icon: 'image' }),
    alias('notice_media', 'presentation-notice', ['alias', 'no-data'], { text: 'Images are resized on upload.', color: 'info' }),
    { field: 'seo', type: 'alias', meta: { interface: 'group-detail', special: ['alias', 'no-data', 'group'], options: { start: 'closed' }, width: 'full' } },
    { field: 'seo_title', type: 'string', meta: { interface: 'input', group: 'seo', width: 'full' }, schema: { max_length: 70 } },
  ],
});

// many-to-one: article -> author (and its one-to-many alias on authors)
await post('/fields/articles', m2oField('author'));
await post('/fields/authors', alias('articles', 'list-o2m', ['o2m']));
await relation('articles', 'author', 'authors', { one_field: 'articles', one_deselect_action: 'nullify' });

// user field: article -> directus_users (a reviewer), and the user_created relation
await post('/fields/articles', m2oField('reviewer', 'uuid', 'select-dropdown-m2o'));
await relation('articles', 'reviewer', 'directus_users');
await relation('articles', 'user_created', 'directus_users');

// file and image fields: relations to directus_files
await post('/fields/articles', m2oField('attachment', 'uuid', 'file', ['file']));
await relation('articles', 'attachment', 'directus_files');
await post('/fields/articles', m2oField('cover', 'uuid', 'file-image', ['file']));
await relation('articles', 'cover', 'directus_files');

// many-to-many: articles <-> tags through articles_tags
await post('/collections', {
  collection: 'articles_tags', meta: { hidden: true, icon: 'import_export' }, schema: {},
  fields: [intId(), { field: 'articles_id', type: 'uuid', schema: {}, meta: { hidden: true } }, { field: 'tags_id', type: 'integer', schema: {}, meta: { hidden: true } }],
});
await post('/fields/articles', alias('tags', 'list-m2m', ['m2m']));
await relation('articles_tags', 'articles_id', 'articles', { one_field: 'tags', junction_field: 'tags_id', one_deselect_action: 'nullify' });
await relation('articles_tags', 'tags_id', 'tags', { one_field: null, junction_field: 'articles_id' });

// files: articles <-> directus_files through articles_files (a gallery)
await post('/collections', {
  collection: 'articles_files', meta: { hidden: true, icon: 'import_export' }, schema: {},
  fields: [intId(), { field: 'articles_id', type: 'uuid', schema: {}, meta: { hidden: true } }, { field: 'directus_files_id', type: 'uuid', schema: {}, meta: { hidden: true } }],
});
await post('/fields/articles', alias('gallery', 'files', ['files']));
await relation('articles_files', 'articles_id', 'articles', { one_field: 'gallery', junction_field: 'directus_files_id', one_deselect_action: 'nullify' });
await relation('articles_files', 'directus_files_id', 'directus_files', { one_field: null, junction_field: 'articles_id' });

// translations: articles <-> languages through articles_translations
await post('/collections', {
  collection: 'articles_translations', meta: { hidden: true, icon: 'import_export' }, schema: {},
  fields: [
    intId(),
    { field: 'articles_id', type: 'uuid', schema: {}, meta: { hidden: true } },
    { field: 'languages_code', type: 'string', schema: { max_length: 16 }, meta: { hidden: true } },
    str('headline'), text('body'),
  ],
});
await post('/fields/articles', alias('translations', 'translations', ['translations'], { languageField: 'name' }));
await relation('articles_translations', 'articles_id', 'articles', { one_field: 'translations', junction_field: 'languages_code', one_deselect_action: 'nullify' });
await relation('articles_translations', 'languages_code', 'languages', { one_field: null, junction_field: 'articles_id' });

// --- many-to-any: a page builder ----------------------------------------------------
for (const [collection, fields] of [
  ['block_hero', [intId(), str('headline'), m2oField('image', 'uuid', 'file-image', ['file'])]],
  ['block_richtext', [intId(), text('content')]],
]) {
  await post('/collections', { collection, meta: { icon: 'view_agenda', group: 'website', hidden: true }, schema: {}, fields });
}
await relation('block_hero', 'image', 'directus_files');
await post('/collections', {
  collection: 'pages', meta: { icon: 'web', group: 'website', sort: 4, display_template: '{{title}}' }, schema: {},
  fields: [intId(), str('title', { required: true }), { field: 'permalink', type: 'string', meta: { interface: 'input', width: 'full' }, schema: { is_unique: true } }],
});
await post('/collections', {
  collection: 'pages_blocks', meta: { hidden: true, icon: 'import_export' }, schema: {},
  fields: [
    intId(),
    { field: 'pages_id', type: 'integer', schema: {}, meta: { hidden: true } },
    { field: 'item', type: 'string', schema: {}, meta: { hidden: true } },
    { field: 'collection', type: 'string', schema: {}, meta: { hidden: true } },
    sortField(),
  ],
});
await post('/fields/pages', alias('blocks', 'list-m2a', ['m2a']));
// the item side: related_collection null, no foreign key (no `schema`)
await post('/relations', {
  collection: 'pages_blocks', field: 'item', related_collection: null,
  meta: { one_allowed_collections: ['block_hero', 'block_richtext'], one_collection_field: 'collection', junction_field: 'pages_id', sort_field: null },
});
await relation('pages_blocks', 'pages_id', 'pages', { one_field: 'blocks', junction_field: 'item', sort_field: 'sort', one_deselect_action: 'nullify' });

// --- the shop folder: products with a one-to-many to variants --------------------
await post('/collections', {
  collection: 'products', meta: { icon: 'inventory_2', group: 'shop', sort: 1, sort_field: 'sort' }, schema: {},
  fields: [intId(), str('name', { required: true }), sortField(),
    { field: 'price', type: 'decimal', meta: { interface: 'input', width: 'half' }, schema: { numeric_precision: 10, numeric_scale: 2, default_value: 0 } }],
});
await post('/collections', {
  collection: 'product_variants', meta: { icon: 'style', group: 'shop', sort: 2 }, schema: {},
  fields: [intId(), str('sku', { required: true }), m2oField('product')],
});
await post('/fields/products', alias('variants', 'list-o2m', ['o2m']));
await relation('product_variants', 'product', 'products', { one_field: 'variants', one_deselect_action: 'delete' }, 'CASCADE');

const check = await call('GET', '/collections', undefined, token);
const mine = check.data.filter((c) => !c.collection.startsWith('directus_')).map((c) => c.collection);
console.log(`[kitchen-sink] created ${mine.length} collections: ${mine.join(', ')}`);
if (mine.length !== 17) process.exit(1);
