// The schema step of the boot sequence, in ONE Node process (each Directus CLI process
// costs seconds of start-up): Directus bootstrap, plan, guard, apply, re-plan.
// Run by scripts/schema-apply.sh; see there for the contract. It uses Directus's own
// internals (@directus/api/dist, the same functions `directus bootstrap` and
// `directus schema apply` call), resolved from TRM_DIRECTUS_DIR, so it always runs the
// Directus version of the image.
//
//   1. bootstrap: on an empty database install the system tables, run Directus's
//      migrations and create the first admin (ADMIN_EMAIL / ADMIN_PASSWORD when both
//      are set), as `directus bootstrap` does; on an installed one run pending Directus
//      migrations. Under a Postgres advisory lock, so concurrent boots take turns.
//   2. read and validate the snapshot (Directus's Joi schema), and require that it was
//      written by this Directus version on postgres (the CLI checks neither).
//   3. plan (the diff `schema apply --dry-run` prints); refuse a plan that deletes a
//      collection or a field unless TRM_ALLOW_DESTRUCTIVE_SCHEMA=1.
//   4. apply it (applySnapshot, as `schema apply --yes`), then plan again: a snapshot
//      that does not converge is an error naming what still differs.
//
// Output: `[schema] ...` progress lines, then exactly one of `[schema] no changes`,
// `[schema] applied: <summary>` (exit 0) or `[schema] ERROR: <reason>` (exit 1).
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const LOCK_KEY = 7342002; // pg_advisory_lock key of the schema step ("trm schema")
const say = (line) => process.stdout.write(`[schema] ${line}\n`);
let finished = false;
function fail(reason) {
  if (finished) return;
  finished = true;
  process.stdout.write(`[schema] ERROR: ${lostConnection(reason) ?? oneLine(reason)}\n`, () => process.exit(1));
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

async function main() {
  const apiDir = findApi();
  const dist = (p) => import(pathToFileURL(path.join(apiDir, 'dist', p)).href);
  const apiRequire = createRequire(path.join(apiDir, 'package.json'));

  // What every boot needs. The install-only modules (create-admin pulls in every
  // service, ~40% of the import time) are loaded only on an empty database.
  const [db, migrations, { getSnapshot }, { getSnapshotDiff }, { applySnapshot }, { validateSnapshot },
    { isNestedMetaUpdate }, types, yaml] = await Promise.all([
    dist('database/index.js'), dist('database/migrations/run.js'), dist('utils/get-snapshot.js'),
    dist('utils/get-snapshot-diff.js'), dist('utils/apply-snapshot.js'), dist('utils/validate-snapshot.js'),
    dist('utils/apply-diff.js'), directusTypes(dist, apiRequire),
    import(pathToFileURL(apiRequire.resolve('js-yaml')).href),
  ]);
  const { version } = await import(pathToFileURL(path.join(directusDir, 'version.js')).href);
  const { DiffKind } = types;

  // The snapshot first: a missing or invalid file fails before touching the database.
  let snapshot;
  try {
    const text = readFileSync(snapshotFile, 'utf8');
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

  const database = db.default();
  if (db.getDatabaseClient(database) !== 'postgres') throw new Error('DB_CLIENT must be pg (PostgreSQL)');
  if (snapshot.vendor !== 'postgres') throw new Error(`the snapshot is for vendor ${snapshot.vendor}, this database is postgres`);

  let lockConn;
  try {
    await database.raw('SELECT 1');
  } catch (err) {
    const text = oneLine(err);
    const cause = text.startsWith('select 1 - ') || text.startsWith('SELECT 1 - ') ? text.slice(11) : text;
    throw Object.assign(new Error(`cannot connect to the database at ${process.env.DB_HOST}:${process.env.DB_PORT ?? 5432}: ${cause}`), { worded: true });
  }
  // Polled, not a blocking pg_advisory_lock: a statement blocked on the lock holds a
  // snapshot, and the other boot's bootstrap (CREATE INDEX CONCURRENTLY in Directus's
  // migrations) would wait for it forever.
  lockConn = await database.client.acquireConnection();
  for (let waited = false; ; waited = true) {
    const { rows } = await lockConn.query('SELECT pg_try_advisory_lock($1) AS ok', [LOCK_KEY]);
    if (rows[0].ok) break;
    if (!waited) say('waiting for another boot to finish its schema step (advisory lock)');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }

  // 1. bootstrap, as `directus bootstrap` (@directus/api/dist/cli/commands/bootstrap)
  if ((await db.isInstalled()) === false) {
    const [{ getSchema }, { SettingsService }, { createAdmin }, seeds, env] = await Promise.all([
      dist('utils/get-schema.js'), dist('services/settings.js'), dist('utils/create-admin.js'), dist('database/seeds/run.js'),
      import(pathToFileURL(apiRequire.resolve('@directus/env')).href),
    ]);
    say('bootstrap: installing the Directus system tables');
    await seeds.default(database);
    await migrations.default(database, 'latest');
    const schema = await getSchema();
    await createAdmin(schema);
    const e = env.useEnv();
    const settings = new SettingsService({ schema });
    if (typeof e.PROJECT_NAME === 'string' && e.PROJECT_NAME.length > 0) {
      await settings.upsertSingleton({ project_name: e.PROJECT_NAME });
    }
    if (typeof e.PROJECT_OWNER === 'string' && /^[^@\s]+@[^@\s]+$/.test(e.PROJECT_OWNER)) {
      await settings.setOwner({ project_owner: e.PROJECT_OWNER, org_name: null, project_usage: null, product_updates: false });
    }
  } else {
    say('bootstrap: Directus is installed; running pending Directus migrations');
    await migrations.default(database, 'latest');
  }
  if ((await db.isInstalled()) === false) throw new Error('bootstrap did not install Directus (no directus_collections table)');

  // 2-3. plan, as `schema apply --dry-run`
  const isEmpty = (d) => d.collections.length + d.fields.length + d.systemFields.length + d.relations.length === 0;
  const current = await getSnapshot({ database });
  const diff = getSnapshotDiff(current, snapshot);
  if (isEmpty(diff)) {
    await release(database, lockConn);
    return 'no changes';
  }
  const plan = describe(diff, DiffKind, isNestedMetaUpdate);
  say(`plan: ${plan.todo}`);
  for (const line of plan.lines) say(`  - ${line}`);
  if (plan.deletes.length > 0) {
    if (!allowDestructive) {
      throw new Error(`the snapshot would delete ${plan.deletes.join(', ')}; refusing (data would be lost). ` +
        'If that is intended, boot once with TRM_ALLOW_DESTRUCTIVE_SCHEMA=1');
    }
    say(`WARNING: deleting ${plan.deletes.join(', ')} (TRM_ALLOW_DESTRUCTIVE_SCHEMA=1)`);
  }

  // 4. apply, as `schema apply --yes`, then plan again
  await applySnapshot(snapshot, { current, diff, database });
  const after = getSnapshotDiff(await getSnapshot({ database }), snapshot);
  if (!isEmpty(after)) {
    const still = describe(after, DiffKind, isNestedMetaUpdate);
    throw new Error(`the snapshot does not converge: after applying it, still to change: ${still.lines.join('; ')}`);
  }
  await release(database, lockConn);
  return `applied: ${plan.summary}`;
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
    if (verb === 'Delete') deletes.push(`collection ${collection}`);
  }
  for (const { collection, field, diff: d } of diff.fields) {
    const verb = kindOf(d, true);
    add('fields', verb, `${collection}.${field}`);
    if (verb === 'Delete' && !diff.collections.some((c) => c.collection === collection)) deletes.push(`field ${collection}.${field}`);
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

main().then(
  (result) => {
    if (finished) return;
    finished = true;
    process.stdout.write(`[schema] ${result}\n`, () => process.exit(0));
  },
  (err) => fail(err),
);
