// The schema step of the boot sequence, in ONE Node process (each Directus CLI process
// costs seconds of start-up): Directus bootstrap, plan, guard, apply, re-plan.
// Run by scripts/schema-apply.sh; see there for the contract. It uses Directus's own
// internals (@directus/api/dist, the same functions `directus bootstrap` and
// `directus schema apply` call), resolved from TRM_DIRECTUS_DIR, so it always runs the
// Directus version of the image. Supported and tested: 11.16.1, 11.17.4, 12.4.1 (read
// from each version's own `cli/commands/bootstrap` and `cli/commands/schema/apply.js`);
// what differs between them is looked up where that version keeps it (see `layout`).
//
//   1. bootstrap: on an empty database install the system tables, run Directus's
//      migrations and create the first admin (ADMIN_EMAIL / ADMIN_PASSWORD when both
//      are set), as `directus bootstrap` does; on an installed one run pending Directus
//      migrations. Under a Postgres advisory lock, so concurrent boots take turns.
//   2. read and validate the snapshot (Directus's Joi schema), and require that it was
//      written by this Directus version on postgres (the CLI checks neither).
//   3. plan (the diff `schema apply --dry-run` prints); refuse a plan that deletes a
//      collection or a field unless that deletion is approved in allow-destructive.txt
//      beside the snapshot (reviewed with the pull request, baked into the image, the
//      same file `trm-ci lint` reads), or TRM_ALLOW_DESTRUCTIVE_SCHEMA=1 (emergencies:
//      every deletion, for that boot).
//   4. apply it (applySnapshot, as `schema apply --yes`), then plan again: a snapshot
//      that does not converge is an error naming what still differs, and the apply is
//      rolled back (the apply, the second plan and the history row are one transaction;
//      the CLI commits the apply before anyone looks). From 12.2 the CLI
//      initialises Directus's licence manager first (LICENSE_KEY; without one, the Core
//      tier); so does this step, and it refuses, before applying anything, a snapshot
//      with more collections than the licence allows (Core: 25), naming the limit.
//
// Around that, for many replicas on one database (all under the same lock):
//   - the install is recorded as complete (trm_db_init.install) once the system tables,
//     Directus's migrations and the first admin exist; a boot that finds Directus
//     installed but no such record completes it (migrations, the admin from
//     ADMIN_EMAIL/ADMIN_PASSWORD) or fails naming what is missing. A database with no
//     user at all is left to Directus's own first-run setup (the admin app's /admin/setup
//     page creates the first admin while directus_users is empty; a WARNING says so);
//     a database with users of which none can sign in as an administrator is an error.
//   - every snapshot applied is recorded (trm_db_init.schema_history: sha256, the image's
//     revision, the Directus version, when). A snapshot that was applied before and
//     superseded since is older than the database: it is not applied again (the newer
//     schema is kept when this image runs the same Directus version, else the boot is
//     refused), unless TRM_ALLOW_SCHEMA_ROLLBACK=1 (one boot, a deliberate rollback).
//
// Output: `[schema] ...` progress lines, then exactly one of `[schema] no changes`,
// `[schema] applied: <summary>`, `[schema] kept newer: <why>` (exit 0) or
// `[schema] ERROR: <reason>` (exit 1).
//
// `schema-apply.mjs wait` (TRM_BOOT_MODE=wait, replicas next to a migrate job) applies
// nothing: it waits until the database has this image's schema (install recorded, the
// snapshot applied, every db-init and db-post file in the ledger), then prints
// `[wait] ready: <what>`; `[wait] ERROR: <reason>` when it cannot be ready.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const LOCK_KEY = 7342002; // pg_advisory_lock key of the schema step ("trm schema")
const waitMode = process.argv[2] === 'wait';
const TAG = waitMode ? 'wait' : 'schema';
const say = (line) => process.stdout.write(`[${TAG}] ${line}\n`);
let finished = false;
function fail(reason) {
  if (finished) return;
  finished = true;
  process.stdout.write(`[${TAG}] ERROR: ${lostConnection(reason) ?? oneLine(reason)}\n`, () => process.exit(1));
  setTimeout(() => process.exit(1), 1000).unref();
}
function oneLine(reason) {
  const text = reason instanceof Error ? reason.message || String(reason) : String(reason);
  return text.replace(/\s+/g, ' ').trim().slice(0, 2000) || 'unknown error';
}

// When the database went away mid-step, the operator needs the cause first, not the
// statement that happened to be running. knex reports a failed query as
// `<statement> - <driver message>`; the driver's messages for a lost server are these
// (pg: the socket ended, the server's shutdown FATAL, a refused or unresolvable
// reconnect, a pool that can no longer connect).
const LOST = new RegExp(
  '(?:^| - )((?:Connection terminated|terminating connection|server closed the connection|' +
    'Client has encountered a connection error|Connection ended|timeout exceeded when trying to connect|' +
    'Knex: Timeout acquiring a connection|(?:connect|read|write|getaddrinfo) E[A-Z]+)[^]*)$',
);
const LOST_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH',
  'ENETUNREACH', '57P01', '57P02', '57P03', '08000', '08003', '08006']);
function lostConnection(reason) {
  if (!(reason instanceof Error) || reason.worded) return null;
  const text = (reason.message || '').replace(/\s+/g, ' ').trim();
  let m = LOST.exec(text);
  if (!m && LOST_CODES.has(reason.code)) {
    const cut = text.lastIndexOf(' - ');
    m = { index: cut < 0 ? 0 : cut, 1: cut < 0 ? text : text.slice(cut + 3) };
  }
  if (!m) return null;
  const cause = m[1] || reason.code;
  const statement = text.slice(0, m.index).trim();
  const where = `${process.env.DB_HOST ?? '?'}:${process.env.DB_PORT ?? 5432}`;
  const during = statement ? `; the statement was: ${statement.length > 400 ? `${statement.slice(0, 400)}…` : statement}` : '';
  return `lost the connection to the database at ${where}: ${cause.slice(0, 400)}${during}`;
}
process.on('uncaughtException', (err) => fail(err));
process.on('unhandledRejection', (err) => fail(err));

const timeoutSeconds = Number(process.env.TRM_SCHEMA_TIMEOUT_SECONDS || 600);
setTimeout(() => fail(`timed out after ${timeoutSeconds}s (TRM_SCHEMA_TIMEOUT_SECONDS)`), timeoutSeconds * 1000).unref();

const directusDir = path.resolve(process.env.TRM_DIRECTUS_DIR || '/directus');
const snapshotFile = path.resolve(process.env.TRM_SNAPSHOT_FILE || path.join(directusDir, 'snapshots/snapshot.yaml'));
const allowDestructive = process.env.TRM_ALLOW_DESTRUCTIVE_SCHEMA === '1';
const allowRollback = process.env.TRM_ALLOW_SCHEMA_ROLLBACK === '1';
const revision = (process.env.TRM_IMAGE_REVISION || '').trim().slice(0, 200) || 'unknown';
const APPROVALS = 'allow-destructive.txt';
const approvalsFile = path.join(path.dirname(snapshotFile), APPROVALS);

// The approved deletions: one per line, `collection` or `collection.field`, then
// optionally why; `#` starts a comment. A missing file approves nothing; an unreadable
// one fails the step (an approval must never be guessed).
function readApprovals() {
  let text;
  try {
    text = readFileSync(approvalsFile, 'utf8');
  } catch (err) {
    if (err?.code === 'ENOENT') return new Set();
    throw new Error(`cannot read ${approvalsFile}: ${oneLine(err)}`);
  }
  const items = new Set();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (line) items.add(line.split(/\s+/)[0]);
  }
  return items;
}

// @directus/api as Node resolves it from the directus package: /directus/node_modules
// in the image, the hoisted node_modules of an npm install on a host.
function findApi() {
  for (let dir = directusDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', '@directus', 'api');
    // realpath: with a pnpm layout (the upstream image) node_modules/@directus/api is a
    // symlink, and its own dependencies (js-yaml, @directus/env) sit next to its target.
    if (existsSync(path.join(candidate, 'package.json'))) return realpathSync(candidate);
    if (path.dirname(dir) === dir) break;
  }
  throw new Error(`@directus/api not found from ${directusDir} (TRM_DIRECTUS_DIR must be the directus package, containing cli.js)`);
}

// DiffKind and the other shared types: 11.17 bundles @directus/types inside the api package
// (dist/packages/types), earlier 11.x releases depend on the @directus/types package.
async function directusTypes(dist, apiRequire) {
  try {
    return await dist('packages/types/dist/index.js');
  } catch (err) {
    if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
    return import(pathToFileURL(apiRequire.resolve('@directus/types')).href);
  }
}

// `a` >= `b` for X.Y.Z versions (a pre-release counts as its X.Y.Z).
function atLeast(a, b) {
  const [x, y] = [a, b].map((v) => String(v).split(/[-+]/)[0].split('.').map(Number));
  for (let i = 0; i < 3; i++) if ((x[i] || 0) !== (y[i] || 0)) return (x[i] || 0) > (y[i] || 0);
  return true;
}

// Where this Directus version keeps what the step uses, and what its own CLI does
// beyond the snapshot utilities (read from @directus/api 35.2.0 = 11.17.4, 36.0.2 =
// 12.0, 38.0.0 = 12.2, 39.2.1 = 12.4.1):
//   - the snapshot utilities (get-snapshot, get-snapshot-diff, apply-snapshot,
//     validate-snapshot, apply-diff) are in dist/utils/ up to 12.1, dist/utils/schema/
//     from 12.2;
//   - `bootstrap` creates the entitlement manager on an install from 12.0
//     (license/entitlements/manager.js);
//   - `schema apply` awaits getLicenseManager().initialize() before applySnapshot from
//     12.2 (license/manager.js): LICENSE_KEY is activated or refreshed, else the Core
//     tier's limits are loaded.
function layout(apiDir, version) {
  const has = (p) => existsSync(path.join(apiDir, 'dist', p));
  const utils = has('utils/schema/get-snapshot.js') ? 'utils/schema' : 'utils';
  return {
    utils,
    entitlementsOnInstall: atLeast(version, '12.0.0') && has('license/entitlements/manager.js'),
    licenseBeforeApply: atLeast(version, '12.2.0') && has('license/manager.js'),
  };
}

// What both modes load: Directus's database module, the snapshot (read, validated,
// hashed) and the version of this Directus.
async function load() {
  const apiDir = findApi();
  const dist = (p) => import(pathToFileURL(path.join(apiDir, 'dist', p)).href);
  const apiRequire = createRequire(path.join(apiDir, 'package.json'));
  const { version } = await import(pathToFileURL(path.join(directusDir, 'version.js')).href);
  const at = layout(apiDir, version);
  const [db, { validateSnapshot }, yaml] = await Promise.all([
    dist('database/index.js'), dist(`${at.utils}/validate-snapshot.js`),
    import(pathToFileURL(apiRequire.resolve('js-yaml')).href),
  ]);

  // The snapshot first: a missing or invalid file fails before touching the database.
  let snapshot, bytes;
  try {
    bytes = readFileSync(snapshotFile);
    const text = bytes.toString('utf8');
    snapshot = snapshotFile.endsWith('.json') ? JSON.parse(text) : (yaml.load ?? yaml.default.load)(text);
  } catch (err) {
    throw new Error(`cannot read the snapshot ${snapshotFile}: ${oneLine(err)}`);
  }
  try {
    validateSnapshot(snapshot, true); // Directus's Joi schema only
  } catch (err) {
    throw new Error(`invalid snapshot ${snapshotFile}: ${err?.extensions?.reason ?? oneLine(err)}`);
  }
  if (snapshot.directus !== version) {
    throw new Error(`the snapshot was written by Directus ${snapshot.directus}, this is Directus ${version}; ` +
      'export it again at this version (scripts/snapshot-export.sh)');
  }
  const sha = createHash('sha256').update(bytes).digest('hex');
  const database = db.default();
  if (db.getDatabaseClient(database) !== 'postgres') throw new Error('DB_CLIENT must be pg (PostgreSQL)');
  if (snapshot.vendor !== 'postgres') throw new Error(`the snapshot is for vendor ${snapshot.vendor}, this database is postgres`);
  return { apiDir, dist, apiRequire, db, version, at, snapshot, sha, database };
}

async function connect(database) {
  try {
    await database.raw('SELECT 1');
  } catch (err) {
    const text = oneLine(err);
    const cause = text.startsWith('select 1 - ') || text.startsWith('SELECT 1 - ') ? text.slice(11) : text;
    throw Object.assign(new Error(`cannot connect to the database at ${process.env.DB_HOST}:${process.env.DB_PORT ?? 5432}: ${cause}`), { worded: true });
  }
}

async function main() {
  const ctx = await load();
  const { dist, apiRequire, db, version, at, snapshot, sha, database } = ctx;
  const [migrations, { getSnapshot }, { getSnapshotDiff }, { applySnapshot }, { isNestedMetaUpdate }, types] = await Promise.all([
    dist('database/migrations/run.js'), dist(`${at.utils}/get-snapshot.js`), dist(`${at.utils}/get-snapshot-diff.js`),
    dist(`${at.utils}/apply-snapshot.js`), dist(`${at.utils}/apply-diff.js`), directusTypes(dist, apiRequire),
  ]);
  const { DiffKind } = types;
  await connect(database);

  // Polled, not a blocking pg_advisory_lock: a statement blocked on the lock holds a
  // snapshot, and the other boot's bootstrap (CREATE INDEX CONCURRENTLY in Directus's
  // migrations) would wait for it forever.
  const lockConn = await database.client.acquireConnection();
  for (let waited = false; ; waited = true) {
    const { rows } = await lockConn.query('SELECT pg_try_advisory_lock($1) AS ok', [LOCK_KEY]);
    if (rows[0].ok) break;
    if (!waited) say('waiting for another boot to finish its schema step (advisory lock)');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await database.raw(LEDGER_SQL);

  // The guard, before anything is written: is this image's snapshot older than the
  // database's schema?
  const age = await snapshotAge(database, sha, version, apiRequire);
  if (age.older && allowRollback) {
    if (age.unsafe) throw new Error(`${age.text}; TRM_ALLOW_SCHEMA_ROLLBACK=1 cannot help: ${age.unsafe}`);
    say(`WARNING: ${age.text}; applying it anyway (TRM_ALLOW_SCHEMA_ROLLBACK=1: a deliberate rollback; unset it after this boot)`);
  } else if (age.older) {
    if (age.unsafe) {
      throw new Error(`${age.text}, and ${age.unsafe}: refusing to start. Deploy revision ${age.last.revision} (or newer) again`);
    }
  }

  // 1. bootstrap, as `directus bootstrap` (@directus/api/dist/cli/commands/bootstrap)
  if ((await db.isInstalled()) === false) {
    const [{ getSchema }, { SettingsService }, { createAdmin }, seeds, env] = await Promise.all([
      dist('utils/get-schema.js'), dist('services/settings.js'), dist('utils/create-admin.js'), dist('database/seeds/run.js'),
      import(pathToFileURL(apiRequire.resolve('@directus/env')).href),
    ]);
    say('bootstrap: installing the Directus system tables');
    // One transaction: a boot killed here leaves an empty database, not half the system
    // tables (Directus's own migrations cannot run in one: some CREATE INDEX CONCURRENTLY).
    await database.transaction((trx) => seeds.default(trx));
    await migrations.default(database, 'latest');
    const schema = await getSchema();
    if (at.entitlementsOnInstall) (await dist('license/entitlements/manager.js')).getEntitlementManager();
    await createAdmin(schema);
    const e = env.useEnv();
    const settings = new SettingsService({ schema });
    if (typeof e.PROJECT_NAME === 'string' && e.PROJECT_NAME.length > 0) {
      await settings.upsertSingleton({ project_name: e.PROJECT_NAME });
    }
    if (typeof e.PROJECT_OWNER === 'string' && /^[^@\s]+@[^@\s]+$/.test(e.PROJECT_OWNER)) {
      await settings.setOwner({ project_owner: e.PROJECT_OWNER, org_name: null, project_usage: null, product_updates: false });
    }
    await recordInstall(database, version, 'installed by this boot', await admins(database));
  } else if (!(await installRecorded(database))) {
    await completeInstall(database, migrations, dist, version);
  } else {
    say('bootstrap: Directus is installed; running pending Directus migrations');
    await migrations.default(database, 'latest');
  }
  if ((await db.isInstalled()) === false) throw new Error('bootstrap did not install Directus (no directus_collections table)');
  await requireAdmin(database, dist);

  if (age.older && !allowRollback) {
    await release(database, lockConn);
    return `kept newer: ${age.text}; not applying it (a stale replica or a rolled-back service must not revert the schema). ` +
      'Directus starts on the newer schema; a deliberate rollback boots once with TRM_ALLOW_SCHEMA_ROLLBACK=1';
  }

  // 2-3. plan, as `schema apply --dry-run`
  const isEmpty = (d) => d.collections.length + d.fields.length + d.systemFields.length + d.relations.length === 0;
  const current = await getSnapshot({ database });
  const diff = getSnapshotDiff(current, snapshot);
  if (isEmpty(diff)) {
    await recordSnapshot(database, sha, version, age, 'no changes');
    await release(database, lockConn);
    return 'no changes';
  }
  const plan = describe(diff, DiffKind, isNestedMetaUpdate);
  say(`plan: ${plan.todo}`);
  for (const line of plan.lines) say(`  - ${line}`);
  if (plan.deletes.length > 0) {
    const words = (ds) => ds.map((d) => `${d.kind} ${d.name}`).join(', ');
    if (allowDestructive) {
      say(`WARNING: deleting ${words(plan.deletes)} (TRM_ALLOW_DESTRUCTIVE_SCHEMA=1)`);
    } else {
      // Exactly what the reviewer approved: each deletion must be named in the file.
      const approved = readApprovals();
      const refused = plan.deletes.filter((d) => !approved.has(d.name));
      if (refused.length > 0) {
        throw new Error(`the snapshot would delete ${words(refused)}; refusing (data would be lost). ` +
          `If that is intended, approve it in the pull request: add ${refused.map((d) => d.name).join(', ')} ` +
          `to ${APPROVALS} beside the snapshot (one per line); in an emergency, boot once with TRM_ALLOW_DESTRUCTIVE_SCHEMA=1`);
      }
      say(`deleting ${words(plan.deletes)} (approved in ${APPROVALS})`);
    }
  }

  // 4. apply, as `schema apply --yes`, then plan again: both, and the history row, in one
  // transaction (Directus's applyDiff joins a transaction it is handed), so a snapshot that
  // does not converge leaves the database as it was.
  if (at.licenseBeforeApply) await licence(dist, apiRequire, snapshot);
  try {
    await database.transaction(async (trx) => {
      await applySnapshot(snapshot, { current, diff, database: trx });
      const after = getSnapshotDiff(await getSnapshot({ database: trx }), snapshot);
      if (!isEmpty(after)) {
        const still = describe(after, DiffKind, isNestedMetaUpdate);
        throw Object.assign(new Error(`the snapshot does not converge: after applying it, still to change: ${still.lines.join('; ')}; ` +
          'nothing was applied (one transaction)'), { worded: true });
      }
      await recordSnapshot(trx, sha, version, age, `applied: ${plan.summary}`, true);
    });
  } catch (err) {
    if (err?.code === 'LIMIT_EXCEEDED') {
      const category = err?.extensions?.category ?? 'collections';
      throw Object.assign(new Error(`Directus refused the snapshot: ${category} limit exceeded (${await limitText(dist, category)}); ` +
        'nothing was applied (one transaction). Set LICENSE_KEY to a licence that allows them, or mark collections ' +
        '`status: inactive` in Directus'), { worded: true });
    }
    throw err;
  }
  // applySnapshot flushed Directus's caches before the commit: flush them again, so no running
  // replica keeps a schema it read in between.
  await (await dist('cache.js')).flushCaches();
  await release(database, lockConn);
  return `applied: ${plan.summary}`;
}

// As the CLI's `schema apply` from 12.2: initialise the licence manager (activate or
// refresh LICENSE_KEY / LICENSE_TOKEN, else the Core tier), then check the snapshot's
// collections against the licence's limit, counted as Directus counts them
// (license/entitlements/lib/collections.js: not a folder, not a system collection,
// tracked, `meta.status` active, not in DB_EXCLUDE_TABLES), before anything is written.
async function licence(dist, apiRequire, snapshot) {
  const [{ getLicenseManager }, { getEntitlementManager }, env] = await Promise.all([
    dist('license/manager.js'), dist('license/entitlements/manager.js'),
    import(pathToFileURL(apiRequire.resolve('@directus/env')).href),
  ]);
  // Directus's manager ends the process itself (after a `fatal` log line) when
  // LICENSE_KEY or LICENSE_TOKEN cannot be validated; turn that into our error line.
  const exit = process.exit;
  process.exit = (code) => {
    throw Object.assign(new Error(`Directus's licence manager could not validate LICENSE_KEY / LICENSE_TOKEN (it exits ${code}; its log lines above say why)`),
      { worded: true });
  };
  try {
    await getLicenseManager().initialize();
  } finally {
    process.exit = exit;
  }
  const limit = getEntitlementManager().getEntitlementLimit('collections');
  if (limit === -1) return;
  const excluded = env.useEnv().DB_EXCLUDE_TABLES ?? [];
  const counted = (snapshot.collections ?? []).filter((c) => c?.schema && c?.meta && (c.meta.status ?? 'active') === 'active' &&
    !String(c.collection).startsWith('directus_') && !excluded.includes(c.collection));
  if (counted.length > limit) {
    throw Object.assign(new Error(`the snapshot has ${counted.length} collections that count against the licence, ` +
      `${await limitText(dist, 'collections')}; Directus would refuse collection number ${limit + 1} ` +
      `(${counted[limit].collection}). Nothing was applied. Set LICENSE_KEY to a licence that allows ${counted.length} ` +
      'collections (Directus without LICENSE_KEY runs the Core tier), or reduce the snapshot'), { worded: true });
  }
}

// "the Core tier (no LICENSE_KEY) allows 25" / "the licence (LICENSE_KEY) allows N"
async function limitText(dist, category) {
  try {
    const [{ getLicenseManager }, { getEntitlementManager }] = await Promise.all([
      dist('license/manager.js'), dist('license/entitlements/manager.js'),
    ]);
    const limit = getEntitlementManager().getEntitlementLimit(category);
    const source = getLicenseManager().getSource();
    return source === null
      ? `the Core tier (Directus without LICENSE_KEY) allows ${limit}`
      : `the licence (LICENSE_KEY, from ${source}) allows ${limit}`;
  } catch {
    return 'see the licence';
  }
}

// The ledger schema's two tables of the schema step (the SQL runner owns trm_db_init.ledger).
const LEDGER_SQL = `
CREATE SCHEMA IF NOT EXISTS trm_db_init;
CREATE TABLE IF NOT EXISTS trm_db_init.install (
  id               boolean     PRIMARY KEY DEFAULT true CHECK (id),
  completed_at     timestamptz NOT NULL DEFAULT now(),
  directus_version text        NOT NULL,
  note             text        NOT NULL
);
COMMENT ON TABLE trm_db_init.install IS 'one row once the Directus install of this database is complete (system tables, migrations, first admin); written by scripts/schema-apply.mjs';
CREATE TABLE IF NOT EXISTS trm_db_init.schema_history (
  id               bigserial   PRIMARY KEY,
  sha256           text        NOT NULL,
  revision         text        NOT NULL,
  directus_version text        NOT NULL,
  result           text        NOT NULL,
  applied_at       timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE trm_db_init.schema_history IS 'every snapshot applied to this database (sha256 of the file, TRM_IMAGE_REVISION, Directus version); the last row is the schema in force; written by scripts/schema-apply.mjs';
`;

const short = (sha) => `sha256 ${sha.slice(0, 12)}`;
const when = (t) => (t instanceof Date ? t.toISOString().replace(/\.\d+Z$/, 'Z') : String(t));
const describeRow = (h) => `revision ${h.revision}, Directus ${h.directus_version}, snapshot ${short(h.sha256)}, applied ${when(h.applied_at)}`;

async function history(database) {
  const exists = await database.raw("SELECT to_regclass('trm_db_init.schema_history') IS NOT NULL AS ok");
  if (!exists.rows[0].ok) return [];
  return (await database.raw('SELECT sha256, revision, directus_version, applied_at FROM trm_db_init.schema_history ORDER BY id')).rows;
}

// Directus migrations this database has and this Directus does not know: the database
// was migrated by a newer Directus.
async function unknownDirectusMigrations(database, apiRequire) {
  const exists = await database.raw("SELECT to_regclass('public.directus_migrations') IS NOT NULL AS ok");
  if (!exists.rows[0].ok) return [];
  // the names Directus's migration runner (database/migrations/run.js) reads
  const own = path.join(findApi(), 'dist', 'database', 'migrations');
  const known = new Set(readdirSync(own).filter((f) => /^[0-9]+[A-Z]-[^.]+\.(?:js|ts)$/.test(f)).map((f) => f.split('-')[0]));
  const env = await import(pathToFileURL(apiRequire.resolve('@directus/env')).href);
  const custom = path.resolve(String(env.useEnv().MIGRATIONS_PATH ?? './migrations'));
  if (existsSync(custom) && statSync(custom).isDirectory()) {
    for (const f of readdirSync(custom)) if (f.includes('-')) known.add(f.split('-')[0]);
  }
  const { rows } = await database.raw('SELECT version FROM directus_migrations ORDER BY version');
  return rows.map((r) => r.version).filter((v) => !known.has(v));
}

// Is this image's snapshot older than the database's schema? It is when it was applied
// before and another one since (it appears in the history, not last).
async function snapshotAge(database, sha, version, apiRequire) {
  const rows = await history(database);
  const last = rows.at(-1);
  const mine = rows.findLast((h) => h.sha256 === sha);
  const unknown = await unknownDirectusMigrations(database, apiRequire);
  const newerDirectus = unknown.length > 0
    ? `the database was migrated by a newer Directus than this image's ${version} (Directus migrations ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', …' : ''} unknown here)`
    : null;
  if (!last || !mine || last.sha256 === sha) {
    if (newerDirectus) throw new Error(`${newerDirectus}: refusing to start Directus ${version} on it`);
    return { older: false, last, first: !last, changed: !last || last.sha256 !== sha };
  }
  const text = `this image's snapshot (revision ${revision}, Directus ${version}, ${short(sha)}, applied ${when(mine.applied_at)}) ` +
    `is older than the schema applied last (${describeRow(last)})`;
  const unsafe = newerDirectus ?? (last.directus_version !== version ? `that schema was applied by Directus ${last.directus_version}` : null);
  return { older: true, last, text, unsafe, changed: true };
}

async function recordSnapshot(database, sha, version, age, result, applied = false) {
  // Every snapshot applied, and the first one seen on a database booted before this
  // history existed; a boot that changed nothing with the same snapshot adds no row.
  if (!age.changed && !applied) return;
  await database.raw('INSERT INTO trm_db_init.schema_history (sha256, revision, directus_version, result) VALUES (?, ?, ?, ?)',
    [sha, revision, version, `${age.older ? 'rollback ' : ''}${result}`]);
}

async function installRecorded(database) {
  return (await database.raw('SELECT count(*)::int AS n FROM trm_db_init.install')).rows[0].n > 0;
}

async function recordInstall(database, version, note, adminCount) {
  // "complete" includes the first admin when ADMIN_EMAIL and ADMIN_PASSWORD are set
  if (adminCount === 0 && adminFromEnv()) return;
  await database.raw('INSERT INTO trm_db_init.install (directus_version, note) VALUES (?, ?) ON CONFLICT (id) DO NOTHING', [version, note]);
}

const adminFromEnv = () => Boolean(process.env.ADMIN_EMAIL && process.env.ADMIN_PASSWORD);

// The users able to sign in as an administrator: active, with a password, a static token
// or an external auth provider, holding a policy with admin access directly or through their role
// (or a parent of it: a role inherits its parents' policies).
const ADMINS_SQL = `
WITH RECURSIVE admin_roles AS (
  SELECT a.role AS id FROM directus_access a JOIN directus_policies p ON p.id = a.policy
   WHERE p.admin_access AND a.role IS NOT NULL
  UNION
  SELECT r.id FROM directus_roles r JOIN admin_roles ar ON r.parent = ar.id
)
SELECT u.id, u.email FROM directus_users u
 WHERE u.status = 'active'
   AND (u.password IS NOT NULL OR u.token IS NOT NULL OR coalesce(u.provider, 'default') <> 'default')
   AND (u.role IN (SELECT id FROM admin_roles)
        OR EXISTS (SELECT 1 FROM directus_access a JOIN directus_policies p ON p.id = a.policy
                    WHERE a."user" = u.id AND p.admin_access))`;

async function admins(database) {
  return (await database.raw(ADMINS_SQL)).rows.length;
}

// No user at all: Directus 11's admin app then shows its first-run setup page
// (/admin/setup, POST /server/setup), which creates the first administrator; the
// upstream image boots such a database without ADMIN_EMAIL/ADMIN_PASSWORD.
async function noUsers(database) {
  return (await database.raw('SELECT NOT EXISTS (SELECT 1 FROM directus_users) AS none')).rows[0].none;
}

// A boot that finds Directus installed without the record of a complete install: an
// install interrupted (a killed replica), or one made before this record existed.
async function completeInstall(database, migrations, dist, version) {
  say('install: Directus is installed but its install is not recorded as complete (interrupted, or made before this check); completing it');
  if (!(await database.schema.hasTable('directus_migrations'))) {
    const seedDir = path.join(findApi(), 'dist', 'database', 'seeds');
    const tables = readdirSync(seedDir).filter((f) => f.endsWith('.yaml'))
      .map((f) => /^table:\s*(\S+)/m.exec(readFileSync(path.join(seedDir, f), 'utf8'))?.[1]).filter(Boolean);
    const missing = [];
    for (const t of tables) if (!(await database.schema.hasTable(t))) missing.push(t);
    throw Object.assign(new Error(`the Directus install on this database was interrupted while it created the system tables ` +
      `(missing: ${missing.join(', ')}). Nothing of Directus is usable yet: drop the directus_* tables (or the database) ` +
      'and boot again to install from scratch'), { worded: true });
  }
  say('install: running pending Directus migrations');
  try {
    await migrations.default(database, 'latest');
  } catch (err) {
    if (lostConnection(err)) throw err;
    throw Object.assign(new Error(`the Directus install on this database was interrupted and its migrations cannot be completed: ${oneLine(err)}`), { worded: true });
  }
  const n = await admins(database);
  if (n === 0 && adminFromEnv()) await createFirstAdmin(database, dist);
  await recordInstall(database, version, 'completed by a later boot', await admins(database));
  say('install: complete (recorded)');
}

// The first admin from ADMIN_EMAIL/ADMIN_PASSWORD: in the existing administrator role
// when one exists (an install killed after creating it), else role, policy and user as
// Directus's bootstrap creates them.
async function createFirstAdmin(database, dist) {
  const email = process.env.ADMIN_EMAIL;
  const existing = (await database.raw('SELECT status, role FROM directus_users WHERE lower(email) = lower(?)', [email])).rows[0];
  if (existing) {
    throw Object.assign(new Error(`no user can sign in as an administrator, and the user ADMIN_EMAIL exists but is not one ` +
      `(status ${existing.status}${existing.role ? '' : ', no role'}): give it an administrator role and status active ` +
      '(psql), or set ADMIN_EMAIL to a new address for one boot'), { worded: true });
  }
  const [{ getSchema }, { createAdmin, defaultAdminUser }, { UsersService }] = await Promise.all([
    dist('utils/get-schema.js'), dist('utils/create-admin.js'), dist('services/users.js'),
  ]);
  const schema = await getSchema();
  const role = (await database.raw(`SELECT a.role FROM directus_access a JOIN directus_policies p ON p.id = a.policy
    WHERE p.admin_access AND a.role IS NOT NULL ORDER BY a.role LIMIT 1`)).rows[0]?.role;
  if (role) {
    await new UsersService({ schema }).createOne({
      ...defaultAdminUser, email, password: process.env.ADMIN_PASSWORD, token: process.env.ADMIN_TOKEN ?? null, role,
    });
  } else {
    await createAdmin(schema);
  }
  say('install: created the first admin (ADMIN_EMAIL)');
}

async function requireAdmin(database, dist) {
  if ((await admins(database)) > 0) return;
  if (adminFromEnv()) {
    await createFirstAdmin(database, dist);
    if ((await admins(database)) > 0) return;
  }
  if (await noUsers(database)) {
    // As upstream: not an error. Whoever opens the admin app first becomes the admin.
    say('WARNING: no user exists yet: the first person to open the admin app (/admin/setup) creates the first ' +
      'administrator. To create it at boot instead, set ADMIN_EMAIL and ADMIN_PASSWORD');
    return;
  }
  throw Object.assign(new Error('no user can sign in as an administrator on this database (users exist, but no active user ' +
    'with a password, a static token or an SSO provider holds a policy with admin access). Fix: boot once with ' +
    'ADMIN_EMAIL and ADMIN_PASSWORD set (an address no user has): the schema step creates that administrator'), { worded: true });
}

// --- wait mode (TRM_BOOT_MODE=wait) ------------------------------------------------
// Applies nothing: waits until the database has what this image would apply.
async function waitForSchema() {
  const { db, version, sha, database, dist } = await load();
  const seconds = Number(process.env.TRM_SCHEMA_WAIT_SECONDS || 600);
  const deadline = Date.now() + seconds * 1000;
  const files = (dir, prefix) => {
    if (!existsSync(dir)) return [];
    return readdirSync(dir).filter((f) => f.endsWith('.sql')).sort()
      .map((f) => ({ key: prefix + f, sha: createHash('sha256').update(readFileSync(path.join(dir, f))).digest('hex') }));
  };
  const mine = [
    ...files(process.env.TRM_DB_INIT_DIR || path.join(directusDir, 'db-init'), ''),
    ...files(process.env.TRM_DB_POST_DIR || path.join(directusDir, 'db-post'), 'db-post/'),
  ];
  let said = '';
  for (;;) {
    let missing;
    try {
      missing = await notReady(database, db, dist, sha, version, mine);
    } catch (err) {
      if (err.worded || !lostConnection(err)) throw err;
      missing = `the database at ${process.env.DB_HOST}:${process.env.DB_PORT ?? 5432} does not answer (${oneLine(err).slice(0, 200)})`;
    }
    if (missing === null) break;
    if (missing !== said) say(`waiting: ${missing}`);
    said = missing;
    if (Date.now() > deadline) {
      throw Object.assign(new Error(`not ready after ${seconds}s (TRM_SCHEMA_WAIT_SECONDS): ${missing}; is the migrate job ` +
        '(TRM_BOOT_MODE=migrate, the same image) running?'), { worded: true });
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  try {
    await database.destroy();
  } catch {
    // the process ends anyway
  }
  return `ready: snapshot ${short(sha)} and ${mine.length} SQL files applied`;
}

// null when the database has this image's schema, else what is still missing.
async function notReady(database, db, dist, sha, version, mine) {
  if ((await db.isInstalled()) === false) return 'Directus is not installed yet';
  const has = async (t) => (await database.raw('SELECT to_regclass(?) IS NOT NULL AS ok', [t])).rows[0].ok;
  if (!(await has('trm_db_init.install')) || !(await installRecorded(database))) return 'the install is not complete yet';
  if (!(await has('trm_db_init.ledger'))) return 'no db-init ledger yet';
  const ledger = new Map((await database.raw('SELECT file, sha256 FROM trm_db_init.ledger')).rows.map((r) => [r.file, r.sha256]));
  for (const [file] of ledger) {
    if (!mine.some((m) => m.key === file)) {
      throw Object.assign(new Error(`${file}: applied to this database (ledger) but not in this image; this image is older ` +
        'than the database: deploy the newer one'), { worded: true });
    }
  }
  for (const m of mine) {
    const applied = ledger.get(m.key);
    if (applied === undefined) return `${m.key} not applied yet`;
    if (applied !== m.sha) {
      throw Object.assign(new Error(`${m.key}: changed after it was applied (sha256 ${applied.slice(0, 12)}... in the ledger, ` +
        `${m.sha.slice(0, 12)}... in this image)`), { worded: true });
    }
  }
  const rows = await history(database);
  const last = rows.at(-1);
  if (!last) return `snapshot ${short(sha)} not applied yet`;
  if (last.sha256 !== sha) {
    if (!rows.some((h) => h.sha256 === sha)) return `snapshot ${short(sha)} not applied yet (the database has ${describeRow(last)})`;
    if (last.directus_version !== version) {
      throw Object.assign(new Error(`this image's snapshot is older than the schema applied last (${describeRow(last)}), ` +
        `applied by another Directus than this image's ${version}: refusing to start`), { worded: true });
    }
    say(`this image's snapshot ${short(sha)} is older than the schema applied last (${describeRow(last)}); starting on the newer schema`);
  }
  // (no user at all is Directus's first-run setup, as for the migrate job: not a wait)
  if ((await admins(database)) === 0 && !(await noUsers(database))) return 'no user can sign in as an administrator yet';
  return null;
}

async function release(database, conn) {
  try {
    await conn.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]);
    await database.client.releaseConnection(conn);
    await database.destroy();
  } catch {
    // the session ends with the process; the lock goes with it
  }
}

// The plan in the words of `directus schema apply --dry-run` (Create/Update/Delete),
// plus a one-line summary and the list of deleted collections and fields.
function describe(diff, DiffKind, isNestedMetaUpdate) {
  const kindOf = (d, nested) => {
    const k = d[0]?.kind;
    if (k === DiffKind.EDIT || k === DiffKind.ARRAY || (nested && isNestedMetaUpdate(d[0]))) return 'Update';
    if (k === DiffKind.DELETE) return 'Delete';
    if (k === DiffKind.NEW) return 'Create';
    return 'Update';
  };
  const counts = {};
  const lines = [];
  const deletes = [];
  const add = (what, verb, name) => {
    const key = `${what}|${verb}`;
    counts[key] = (counts[key] ?? 0) + 1;
    if (verb !== 'Create') lines.push(`${verb} ${what.replace(/s$/, '')} ${name}`);
  };
  for (const { collection, diff: d } of diff.collections) {
    const verb = kindOf(d, false);
    add('collections', verb, collection);
    if (verb === 'Delete') deletes.push({ kind: 'collection', name: collection });
  }
  for (const { collection, field, diff: d } of diff.fields) {
    const verb = kindOf(d, true);
    add('fields', verb, `${collection}.${field}`);
    if (verb === 'Delete' && !diff.collections.some((c) => c.collection === collection)) {
      deletes.push({ kind: 'field', name: `${collection}.${field}` });
    }
  }
  for (const { collection, field } of diff.systemFields) add('system fields', 'Update', `${collection}.${field}`);
  for (const { collection, field, related_collection, diff: d } of diff.relations) {
    add('relations', kindOf(d, false), `${collection}.${field}${related_collection ? ` -> ${related_collection}` : ''}`);
  }
  const summarize = (verbs) => Object.entries(counts)
    .map(([key, n]) => {
      const [what, verb] = key.split('|');
      return `${n} ${n === 1 ? what.replace(/s$/, '') : what} ${verbs[verb]}`;
    })
    .join(', ');
  return {
    summary: summarize({ Create: 'created', Update: 'updated', Delete: 'deleted' }),
    todo: summarize({ Create: 'to create', Update: 'to update', Delete: 'to delete' }),
    lines,
    deletes,
  };
}

(waitMode ? waitForSchema() : main()).then(
  (result) => {
    if (finished) return;
    finished = true;
    process.stdout.write(`[${TAG}] ${result}\n`, () => process.exit(0));
  },
  (err) => fail(err),
);
