#!/usr/bin/env python3
"""The synthetic-repository benchmark of `trm-ci lint` (run it through .ci/bench).

Generates repositories of N migrations of realistic DDL, a 200-collection
Directus snapshot (version 1, directus 11.17.4, vendor postgres) and this
repository's Dockerfile, entrypoint, scripts and compose file, commits each
one to git (so the base-dependent rules run against `main`), then measures:

  * trm-ci's wall time (median of --runs) and peak RSS on 1,000 migrations;
  * when `squawk` and `hadolint` are on PATH: squawk over the same
    migrations + hadolint over the Dockerfile, and the ratio;
  * this repository's own lint;
  * scaling with the number of migrations (250/500/1000/2000 by default).

Prints numbers, asserts nothing. Standard library only.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def dockerfile_pin() -> str:
    """The tag of this repository's `FROM directus/directus:X.Y.Z`: the synthetic
    snapshot must carry the same version, or snapshot/version-mismatch fires."""
    import re
    with open(os.path.join(ROOT, "Dockerfile")) as f:
        m = re.search(r"^\s*FROM\s+(?:--\S+\s+)*directus/directus:(\d+\.\d+\.\d+)", f.read(), re.M | re.I)
    if not m:
        sys.exit("benches/synth.py: the Dockerfile has no FROM directus/directus:X.Y.Z line")
    return m.group(1)


PIN = dockerfile_pin()

# ---------------------------------------------------------------- generation

WORDS = ["order", "invoice", "customer", "product", "shipment", "payment", "stock", "supplier",
         "warehouse", "coupon", "review", "basket", "refund", "ledger", "tenant", "audit"]
COLTYPES = ["text", "varchar(255)", "integer", "bigint", "numeric(12,2)", "boolean DEFAULT false",
            "timestamptz DEFAULT now()", "jsonb", "uuid DEFAULT gen_random_uuid()", "date"]


def migration(n: int) -> tuple:
    """(file name, SQL) of migration number n: one of several realistic shapes."""
    w = WORDS[n % len(WORDS)]
    t = f"app_{w}_{n}"
    kind = n % 6
    if kind == 0 or n == 1:
        cols = ",\n".join(f"  {w}_c{i} {COLTYPES[(n + i) % len(COLTYPES)]}" for i in range(6))
        sql = f"""-- {n:04d}: the {w} table
CREATE TABLE IF NOT EXISTS {t} (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
{cols},
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS {t}_created_idx ON {t} (created_at);
COMMENT ON TABLE {t} IS 'Rows of {w}s; written by the app, read by Directus';
"""
        name = f"{n:04d}_create_{w}_{n}.sql"
    elif kind == 1:
        sql = f"""ALTER TABLE app_{WORDS[(n - 1) % len(WORDS)]}_{n - 1}
  ADD COLUMN IF NOT EXISTS note text,
  ADD COLUMN IF NOT EXISTS amount numeric(12,2) NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX IF NOT EXISTS app_uq_{n} ON app_{WORDS[(n - 1) % len(WORDS)]}_{n - 1} (amount, note);
"""
        name = f"{n:04d}_add_note_{n}.sql"
    elif kind == 2:
        sql = f"""CREATE OR REPLACE FUNCTION app_touch_{n}() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  -- keep updated_at current; a ';' inside the body must not split it
  NEW.updated_at := now();
  RETURN NEW;
END
$fn$;

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app_reader_{n % 7}') THEN
    CREATE ROLE app_reader_{n % 7} NOLOGIN;
  END IF;
END
$$;
"""
        name = f"{n:04d}_touch_function_{n}.sql"
    elif kind == 3:
        rows = ",\n".join(f"  ('{w}-{i}', {i * 3 + n}, 'it''s row {i}')" for i in range(8))
        sql = f"""CREATE TABLE IF NOT EXISTS app_seed_{n} (code text PRIMARY KEY, qty integer NOT NULL, label text);
INSERT INTO app_seed_{n} (code, qty, label) VALUES
{rows}
ON CONFLICT (code) DO NOTHING;
"""
        name = f"{n:04d}_seed_{w}_{n}.sql"
    elif kind == 4:
        sql = f"""CREATE OR REPLACE VIEW app_{w}_summary_{n} AS
SELECT date_trunc('day', now()) AS day, count(*) AS n
  FROM pg_class
 WHERE relkind = 'r' /* tables only */
 GROUP BY 1;
GRANT SELECT ON app_{w}_summary_{n} TO PUBLIC;
"""
        name = f"{n:04d}_view_{w}_{n}.sql"
    else:
        sql = f"""CREATE TABLE IF NOT EXISTS app_{w}_events_{n} (
  id bigserial,
  at timestamptz NOT NULL,
  payload jsonb NOT NULL DEFAULT '{{}}'::jsonb,
  PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);
CREATE TABLE IF NOT EXISTS app_{w}_events_{n}_2026 PARTITION OF app_{w}_events_{n}
  FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
ALTER TABLE app_{w}_events_{n} ADD CONSTRAINT app_{w}_events_{n}_payload_chk
  CHECK (jsonb_typeof(payload) = 'object') NOT VALID;
"""
        name = f"{n:04d}_events_{w}_{n}.sql"
    return name, sql


def y(v) -> str:
    """A YAML scalar as `directus schema snapshot` writes it."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (int, float)):
        return str(v)
    s = str(v)
    if s == "" or s[0] in "!&*-?{}[],#|>@`\"'%: " or ": " in s or " #" in s or s in ("null", "true", "false") \
            or s.replace(".", "", 1).isdigit():
        return "'" + s.replace("'", "''") + "'"
    return s


def block(d: dict, indent: int) -> list:
    out = []
    pad = " " * indent
    for k, v in d.items():
        if isinstance(v, dict):
            out.append(f"{pad}{k}:")
            out.extend(block(v, indent + 2))
        elif isinstance(v, list):
            out.append(f"{pad}{k}:")
            out.extend(f"{pad}  - {y(e)}" for e in v)
        else:
            out.append(f"{pad}{k}: {y(v)}")
    return out


def item(d: dict) -> list:
    lines = block(d, 4)
    return ["  - " + lines[0][4:]] + lines[1:]


FIELD_KINDS = [("string", "character varying", 255), ("text", "text", None), ("integer", "integer", None),
               ("boolean", "boolean", None), ("dateTime", "timestamp with time zone", None),
               ("decimal", "numeric", None), ("json", "json", None)]


def snapshot(collections: int) -> str:
    names = [f"{WORDS[i % len(WORDS)]}s_{i}" for i in range(collections)]
    lines = ["version: 1", f"directus: {PIN}", "vendor: postgres", "collections:"]
    for i, c in enumerate(names):
        lines += item({"collection": c, "meta": {
            "accountability": "all", "archive_app_filter": True, "archive_field": None, "archive_value": None,
            "collapse": "open", "collection": c, "color": None, "display_template": None, "group": None,
            "hidden": False, "icon": "box", "item_duplication_fields": None, "note": f"Synthetic collection {i}",
            "preview_url": None, "singleton": False, "sort": i + 1, "sort_field": None, "translations": None,
            "unarchive_value": None, "versioning": False}, "schema": {"name": c}})
    lines.append("fields:")
    relations = []
    for i, c in enumerate(names):
        fields = [("id", ("integer", "integer", None), True)]
        fields += [(f"f{j}", FIELD_KINDS[(i + j) % len(FIELD_KINDS)], False) for j in range(5)]
        parent = names[i // 2] if i > 0 else None
        if parent:
            fields.append(("parent", ("integer", "integer", None), False))
            relations.append((c, parent))
        for sort, (f, (typ, dt, maxlen), pk) in enumerate(fields, 1):
            fk = f == "parent"
            lines += item({"collection": c, "field": f, "type": typ, "meta": {
                "collection": c, "conditions": None, "display": None, "display_options": None, "field": f,
                "group": None, "hidden": pk, "interface": "select-dropdown-m2o" if fk else "input", "note": None,
                "options": None, "readonly": pk, "required": False, "searchable": True, "sort": sort,
                "special": ["m2o"] if fk else None, "translations": None, "validation": None,
                "validation_message": None, "width": "full"}, "schema": {
                "name": f, "table": c, "data_type": dt,
                "default_value": f"nextval('{c}_id_seq'::regclass)" if pk else None, "max_length": maxlen,
                "numeric_precision": 32 if typ == "integer" else None, "numeric_scale": 0 if typ == "integer" else None,
                "is_nullable": not pk, "is_unique": pk, "is_indexed": fk, "is_primary_key": pk,
                "is_generated": False, "generation_expression": None, "has_auto_increment": pk,
                "foreign_key_table": parent if fk else None, "foreign_key_column": "id" if fk else None}})
    lines.append("systemFields: []")
    lines.append("relations:")
    for c, parent in relations:
        lines += item({"collection": c, "field": "parent", "related_collection": parent, "meta": {
            "junction_field": None, "many_collection": c, "many_field": "parent", "one_allowed_collections": None,
            "one_collection": parent, "one_collection_field": None, "one_deselect_action": "nullify",
            "one_field": None, "sort_field": None}, "schema": {
            "table": c, "column": "parent", "foreign_key_table": parent, "foreign_key_column": "id",
            "constraint_name": f"{c}_parent_foreign", "on_update": "NO ACTION", "on_delete": "SET NULL"}})
    return "\n".join(lines) + "\n"


def generate(dest: str, migrations: int, collections: int, snapshot_text: str = None) -> str:
    """Writes a committed synthetic repository under dest; returns its path."""
    os.makedirs(os.path.join(dest, "db-init"), exist_ok=True)
    for n in range(1, migrations + 1):
        name, sql = migration(n)
        with open(os.path.join(dest, "db-init", name), "w") as f:
            f.write(sql)
    os.makedirs(os.path.join(dest, "snapshots"), exist_ok=True)
    with open(os.path.join(dest, "snapshots", "snapshot.yaml"), "w") as f:
        f.write(snapshot_text if snapshot_text is not None else snapshot(collections))
    # The deployment files of this repository (the Dockerfile pins the same Directus).
    for rel in ["Dockerfile", "entrypoint.sh", "compose.dev.yaml"]:
        src = os.path.join(ROOT, rel)
        if os.path.isfile(src):
            shutil.copy2(src, os.path.join(dest, rel))
    if os.path.isdir(os.path.join(ROOT, "scripts")):
        shutil.copytree(os.path.join(ROOT, "scripts"), os.path.join(dest, "scripts"), dirs_exist_ok=True)
    env = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.invalid",
               GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.invalid")
    for cmd in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"],
                ["git", "-c", "commit.gpgsign=false", "commit", "-q", "-m", "synthetic"],
                # packed, as in a clone
                ["git", "gc", "-q"]):
        subprocess.run(cmd, cwd=dest, env=env, check=True, stdout=subprocess.DEVNULL)
    return dest


# --------------------------------------------------------------- measurement

TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


def run_once(cmd, cwd):
    """(wall s, CPU s (user+sys), peak RSS MiB) of one run of cmd, its output discarded.

    Peak RSS comes from GNU time (%M) when it is installed: getrusage() of a
    child forked from this Python process would report Python's own RSS as a
    floor, since Linux keeps the high-water mark across exec."""
    fd, out = tempfile.mkstemp(prefix="trm-ci-bench-time-")
    os.close(fd)
    full = [TIME, "-f", "%M %U %S", "-o", out] + cmd if TIME else cmd
    try:
        t0 = time.perf_counter()
        p = subprocess.Popen(full, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, _, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        if TIME:
            with open(out) as f:
                rss_kb = f.read().split()[-3]
            # CPU from wait4 (time's own plus its reaped child's, microsecond
            # resolution); %U/%S only have 10 ms.
            return wall, ru.ru_utime + ru.ru_stime, int(rss_kb) / 1024.0
        return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024.0  # Linux: KiB
    finally:
        os.unlink(out)


CPU = {}


def measure(cmd, cwd, runs):
    """Median wall time and max peak RSS; the median CPU time goes to CPU[tuple(cmd)]."""
    run_once(cmd, cwd)  # warm the page cache
    walls, cpus, rss = [], [], []
    for _ in range(runs):
        w, c, r = run_once(cmd, cwd)
        walls.append(w)
        cpus.append(c)
        rss.append(r)
    CPU[tuple(cmd)] = statistics.median(cpus)
    return statistics.median(walls), max(rss)


def cpu(cmd):
    return f"CPU {CPU[tuple(cmd)] * 1000:.1f} ms"


def ms(s):
    return f"{s * 1000:.1f} ms"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "trm-ci"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--migrations", type=int, default=1000)
    ap.add_argument("--collections", type=int, default=200)
    ap.add_argument("--sizes", default="250,500,1000,2000", help="migration counts for the scaling table ('' skips it)")
    ap.add_argument("--keep", help="generate into this directory and keep it")
    ap.add_argument("--big", default="plain,public-insert",
                    help="huge-migration cases, 5 files of 16 MB each ('' skips them): plain, public-insert, no-where")
    args = ap.parse_args()

    trm = os.path.abspath(args.bin)
    if not os.access(trm, os.X_OK):
        sys.exit(f"bench: {trm} not found; build it: cargo build --release")
    tmp = args.keep or tempfile.mkdtemp(prefix="trm-ci-bench-")
    os.makedirs(tmp, exist_ok=True)
    try:
        cpu_model = ""
        try:
            with open("/proc/cpuinfo") as f:
                cpu_model = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "")
        except OSError:
            pass
        print(f"machine: {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs {cpu_model}")
        print(f"trm-ci: {subprocess.run([trm, '--version'], capture_output=True, text=True).stdout.strip()}")
        print(f"runs: median of {args.runs} (after one warm-up run); peak RSS: max over the runs"
              f" ({'GNU time %M' if TIME else 'getrusage; install GNU time for exact numbers'});"
              f" load average {os.getloadavg()[0]:.1f}")
        print()

        snap = snapshot(args.collections)
        main_repo = generate(os.path.join(tmp, f"repo-{args.migrations}"), args.migrations, args.collections, snap)
        sql_files = sorted(os.path.join(main_repo, "db-init", f) for f in os.listdir(os.path.join(main_repo, "db-init")))
        sizes = {p: os.path.getsize(os.path.join(main_repo, p)) for p in ["snapshots/snapshot.yaml", "Dockerfile"]}
        sql_bytes = sum(os.path.getsize(f) for f in sql_files)
        print(f"synthetic repository: {len(sql_files)} migrations ({sql_bytes / 1024:.0f} KiB), "
              f"snapshot of {args.collections} collections ({sizes['snapshots/snapshot.yaml'] / 1024:.0f} KiB, "
              f"{snap.count(chr(10))} lines), Dockerfile, entrypoint, scripts, compose; committed to git and packed (base: main)")

        cmd = [trm, "lint", "--repo", main_repo, "--format", "json"]
        out = subprocess.run(cmd, capture_output=True, text=True)
        try:
            doc = json.loads(out.stdout)
            s = doc["summary"]
            rules = {}
            for f in doc["findings"]:
                rules[f["rule"]] = rules.get(f["rule"], 0) + 1
            top = ", ".join(f"{k} {v}" for k, v in sorted(rules.items(), key=lambda kv: -kv[1])[:6])
            print(f"  trm-ci findings: {s['errors']} errors, {s['warnings']} warnings in {s['files_checked']} files"
                  f" (exit {out.returncode}){': ' + top if top else ''}")
        except (ValueError, KeyError):
            print(f"  trm-ci exit {out.returncode}: {out.stderr.strip()[:300]}")
        t_trm, rss_trm = measure(cmd, main_repo, args.runs)
        print(f"  trm-ci lint --format json:  {ms(t_trm)}  peak RSS {rss_trm:.1f} MiB  ({cpu(cmd)})")

        squawk, hadolint = shutil.which("squawk"), shutil.which("hadolint")
        if squawk and hadolint:
            sq_cmd, hl_cmd = [squawk] + sql_files, [hadolint, os.path.join(main_repo, "Dockerfile")]
            t_sq, rss_sq = measure(sq_cmd, main_repo, args.runs)
            t_hl, rss_hl = measure(hl_cmd, main_repo, args.runs)
            ver = lambda c: subprocess.run([c, "--version"], capture_output=True, text=True).stdout.strip().splitlines()[0]
            print(f"  squawk over the migrations:  {ms(t_sq)}  peak RSS {rss_sq:.1f} MiB  ({cpu(sq_cmd)}; {ver(squawk)})")
            print(f"  hadolint over the Dockerfile: {ms(t_hl)}  peak RSS {rss_hl:.1f} MiB  ({cpu(hl_cmd)}; {ver(hadolint)})")
            print(f"  ratio trm-ci / (squawk + hadolint) = {t_trm / (t_sq + t_hl):.3f} wall, "
                  f"{CPU[tuple(cmd)] / (CPU[tuple(sq_cmd)] + CPU[tuple(hl_cmd)]):.3f} CPU  (target <= 0.5)")
        else:
            print("  squawk/hadolint not on PATH: no ratio (.ci/bench --install-anchors installs them)")

        # The same repository without the snapshot: exactly the files squawk and
        # hadolint read (the snapshot's cost is what remains of the first line).
        nosnap = os.path.join(tmp, f"repo-{args.migrations}-nosnapshot")
        shutil.copytree(main_repo, nosnap, symlinks=True)
        os.remove(os.path.join(nosnap, "snapshots", "snapshot.yaml"))
        subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid",
                        "-c", "commit.gpgsign=false", "commit", "-q", "-am", "no snapshot"],
                       cwd=nosnap, check=True, stdout=subprocess.DEVNULL)
        ns_cmd = [trm, "lint", "--repo", nosnap, "--format", "json"]
        t_ns, rss_ns = measure(ns_cmd, nosnap, args.runs)
        print(f"  trm-ci without the snapshot:  {ms(t_ns)}  peak RSS {rss_ns:.1f} MiB  ({cpu(ns_cmd)})")
        if squawk and hadolint:
            print(f"  ratio on the same files (no snapshot) = {t_ns / (t_sq + t_hl):.3f} wall, "
                  f"{CPU[tuple(ns_cmd)] / (CPU[tuple(sq_cmd)] + CPU[tuple(hl_cmd)]):.3f} CPU")
        print()

        own = [trm, "lint", "--repo", ROOT, "--format", "json"]
        t_own, rss_own = measure(own, ROOT, args.runs)
        print(f"this repository: trm-ci lint {ms(t_own)}  peak RSS {rss_own:.1f} MiB  ({cpu(own)}; target < 20 ms)")
        print()

        sizes_list = [int(x) for x in args.sizes.split(",") if x.strip()]
        if sizes_list:
            print(f"scaling: with the same {args.collections}-collection snapshot | migrations only (no snapshot)")
            print("  migrations   wall       CPU        peak RSS  | wall       CPU        peak RSS")
            pts = []
            for n in sizes_list:
                repo = main_repo if n == args.migrations else generate(os.path.join(tmp, f"repo-{n}"), n, args.collections, snap)
                c = [trm, "lint", "--repo", repo, "--format", "json"]
                t, r = measure(c, repo, args.runs)
                bare = os.path.join(tmp, f"repo-{n}-bare")
                if not os.path.isdir(bare):
                    shutil.copytree(repo, bare, symlinks=True)
                    os.remove(os.path.join(bare, "snapshots", "snapshot.yaml"))
                    subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid",
                                    "-c", "commit.gpgsign=false", "commit", "-q", "-am", "no snapshot"],
                                   cwd=bare, check=True, stdout=subprocess.DEVNULL)
                cb = [trm, "lint", "--repo", bare, "--format", "json"]
                tb, rb = measure(cb, bare, args.runs)
                pts.append((n, t, CPU[tuple(c)], tb, CPU[tuple(cb)]))
                print(f"  {n:>10}   {ms(t):>9}  {ms(CPU[tuple(c)]):>9}  {r:5.1f} MiB | "
                      f"{ms(tb):>9}  {ms(CPU[tuple(cb)]):>9}  {rb:5.1f} MiB")
            if len(pts) >= 2:
                for label, idx in (("wall", 1), ("CPU", 2), ("wall, no snapshot", 3), ("CPU, no snapshot", 4)):
                    xs, ys = [p[0] for p in pts], [p[idx] for p in pts]
                    mx, my = statistics.mean(xs), statistics.mean(ys)
                    sxx = sum((x - mx) ** 2 for x in xs)
                    slope = sum((x - mx) * (yv - my) for x, yv in zip(xs, ys)) / sxx
                    icpt = my - slope * mx
                    ss_tot = sum((yv - my) ** 2 for yv in ys)
                    ss_res = sum((yv - (icpt + slope * x)) ** 2 for x, yv in zip(xs, ys))
                    r2 = 1 - ss_res / ss_tot if ss_tot else 1.0
                    print(f"  linear fit ({label}): {ms(icpt)} + {slope * 1e6:.1f} us per migration, r^2 = {r2:.4f}")
        big(trm, tmp, [c for c in args.big.split(",") if c.strip()])
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


# Five migrations of 16 MB each (just under the per-file cap), issue 17's bound:
# what memory and time grow with. `plain`: statements no rule reads (SELECT 1;,
# INSERT INTO app.items, UPDATE app.items ... WHERE), counted, not kept. `public-insert`:
# INSERT INTO a public table, every statement kept (references-snapshot-table reads it).
# `no-where`: UPDATE without WHERE, every statement a finding (500 shown per file).
BIG = {
    "plain": ["SELECT 1;\n", "INSERT INTO app.items (id, name) VALUES (1, 'x');\n",
              "UPDATE app.items SET name = 'y' WHERE id = 2;\n", "SELECT 1;\n", "SELECT 1;\n"],
    "public-insert": ["INSERT INTO items (id, name) VALUES (1, 'x');\n"] * 5,
    "no-where": ["UPDATE items SET name = 'y';\n"] * 5,
}


def big(trm, tmp, cases):
    if not cases:
        return
    print("huge migrations: 5 files of 16 MB (one run each, human output)")
    for case in cases:
        repo = os.path.join(tmp, f"big-{case}")
        os.makedirs(os.path.join(repo, "db-init"), exist_ok=True)
        with open(os.path.join(repo, "Dockerfile"), "w") as f:
            f.write(f"FROM directus/directus:{dockerfile_pin()}\n")
        stmts = 0
        for i, line in enumerate(BIG[case]):
            n = (16 * 1024 * 1024 - 1024) // len(line)
            stmts += n
            with open(os.path.join(repo, "db-init", f"{i + 1:04d}_big.sql"), "w") as f:
                f.write(line * n)
        w, c, r = run_once([trm, "lint", "--repo", repo], repo)
        print(f"  {case:<14} {stmts:>9} statements: {w:6.2f} s wall, CPU {c:6.2f} s, peak RSS {r:7.1f} MiB"
              f"  (goal: < 5 s, < 500 MiB)")
        shutil.rmtree(repo, ignore_errors=True)
    print()


if __name__ == "__main__":
    main()
