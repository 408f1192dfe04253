#!/usr/bin/env bash
# The SQL migration runner of the boot sequence, for both SQL steps (bash + psql only):
#
#   apply-db-init.sh [db-init]   step 1, before Directus: the files in db-init/
#   apply-db-init.sh db-post     step 3, after the schema step (scripts/apply-db-post.sh):
#                                the files in db-post/, SQL for the tables the snapshot
#                                creates (triggers, indexes, ... on collection tables)
#
# Connection: the variables Directus itself uses -- DB_HOST, DB_PORT (5432),
# DB_DATABASE, DB_USER, DB_PASSWORD and, where set, DB_SSL__REJECT_UNAUTHORIZED,
# DB_SSL__CA, DB_SSL__CERT, DB_SSL__KEY (PEM contents, as for Directus). One set of
# credentials per deployment.
#
# Guarantees (the same for both steps):
#   - waits for the database (DB_INIT_WAIT_SECONDS, default 60), then fails with a
#     line naming host:port and the last error;
#   - holds a Postgres advisory lock for the whole run (one key for both steps): two
#     containers booting at once apply each file once (the second waits, at most
#     DB_INIT_LOCK_WAIT_SECONDS (600), then fails);
#   - ledger: trm_db_init.ledger (file, sha256, applied_at, duration_ms), one table for
#     both steps: a db-init file is recorded under its name (`0001_x.sql`, as this
#     runner always did), a db-post file as `db-post/0001_x.sql`;
#   - each pending file runs in ONE transaction together with its ledger row
#     (ON_ERROR_STOP), in ascending file-name order: a crash leaves no half-applied file;
#   - refuses to go on, naming the file, when an applied file changed (sha256) or is
#     missing from the directory;
#   - refuses, before applying anything, a pending file that holds a psql meta-command
#     (a backslash command psql itself runs: \c, \gexec, \set, \!, \i, \o, \copy, \g,
#     ...): they can leave the transaction, turn ON_ERROR_STOP off, run shell commands or
#     read other files. Only \echo, \qecho and \warn (which print) are allowed, and only
#     without a backquote or another backslash on their line;
#   - prints "applied" only after reading the file's ledger row back; a file that psql
#     ran without error but whose row is not there (the file left the runner's
#     transaction) fails the run.
#
# Output, with STEP = db-init or db-post: `[STEP] applying <file>` per pending file,
# then exactly `[STEP] N applied, M skipped`. On failure: `[STEP] ERROR: <file>: <reason>`
# (or `[STEP] ERROR: <reason>` when no file is involved) and exit 1.
#
# Directories: TRM_DB_INIT_DIR (default $TRM_DIRECTUS_DIR/db-init, i.e. /directus/db-init),
# TRM_DB_POST_DIR (default $TRM_DIRECTUS_DIR/db-post). A missing db-post directory is
# an empty one (a repository without db-post/ copies none into the image).
#
# Portable: the image's sed, grep, awk, find and xargs are busybox's (Alpine), so this
# uses POSIX options and regular expressions only (no `\+`, no find -printf).
set -euo pipefail

step=${1:-db-init}
case "$step" in
  db-init)
    dir=${TRM_DB_INIT_DIR:-${TRM_DIRECTUS_DIR:-/directus}/db-init}
    dir_var=TRM_DB_INIT_DIR
    key_prefix="" # ledger rows: the bare file name
    ;;
  db-post)
    dir=${TRM_DB_POST_DIR:-${TRM_DIRECTUS_DIR:-/directus}/db-post}
    dir_var=TRM_DB_POST_DIR
    key_prefix="db-post/"
    ;;
  *)
    printf '[db-init] ERROR: unknown step %s (usage: apply-db-init.sh [db-init|db-post])\n' "$step" >&2
    exit 2
    ;;
esac
wait_seconds=${DB_INIT_WAIT_SECONDS:-60}
lock_key=7342001 # pg_advisory_lock key of the SQL runner ("trm db-init"), both steps

fail() { # fail [FILE] REASON
  if [ $# -ge 2 ]; then
    printf '[%s] ERROR: %s: %s\n' "$step" "$1" "$2" >&2
  else
    printf '[%s] ERROR: %s\n' "$step" "$1" >&2
  fi
  exit 1
}

# One line out of psql's stderr: the server's message, without blank lines and NOTICEs.
reason_of() { # reason_of FILE
  local text
  text=$(grep -v -e '^[[:space:]]*$' -e '^psql:.*: NOTICE: ' "$1" | tr '\n' ' ' | sed -e 's/[[:space:]][[:space:]]*/ /g' -e 's/ $//' | cut -c1-400)
  printf '%s' "${text:-psql failed without a message}"
}

# The psql meta-commands of a SQL file: what psql would run itself rather than send to
# the server -- a backslash outside quotes, comments and dollar quotes, as psql's lexer
# (psqlscan.l) reads it; `\;` and `\:` only put `;`/`:` into the query. Prints
# `LINE:COL: <what>` for the first one that is not allowed and exits 1; silent and 0
# for a clean file. A '...' string with a backslash right before its closing quote is
# refused too: where it ends depends on standard_conforming_strings (the file can turn
# it off), so a meta-command could hide behind it. Busybox awk, byte by byte in slices
# of 64 KiB (its arrays slow down past that). The data lines after `COPY ... FROM stdin;`
# (to the `\.` line) are data, not commands (`\N` is a NULL). `trm-ci lint` applies the same list
# (`migrations/psql-meta-command`).
meta_commands() { # meta_commands FILE
  LC_ALL=C awk '
function load(p) { base = p > 2 ? p - 2 : 0; cn = split(substr(line, base + 1, 65536), c, "") }
function at(p) { if (p > len) return ""; if (p <= base || p > base + cn) load(p); return c[p - base] }
function ident(ch) { return ch ~ /[A-Za-z0-9_$]/ || ch > "~" }
function bad(what) { printf "%d:%d: %s\n", NR, i + off, what; exit 1 }
function word(x) { if (nw == 0) copy = (x == "copy"); else if (copy && pw == "from" && x == "stdin") copyin = 1; nw++; pw = x }
function flush() { if (w != "") { word(tolower(w)); w = "" } }
BEGIN { st = 0; prev = " "; prev2 = " " }
st == 6 { if ($0 == "\\." || $0 == "\\.\r") st = 0; next } # COPY ... FROM stdin data, to its \. line
{
  line = $0; off = 0
  if (NR == 1 && substr(line, 1, 3) == "\357\273\277") { line = substr(line, 4); off = 3 } # psql drops a byte-order mark
  len = length(line); base = 0; cn = 0; i = 1
  while (i <= len) {
    ch = at(i)
    if (st == 0) { # SQL
      if (ident(ch)) { if (length(w) < 8) w = w ch } else flush() # words, for COPY ... FROM stdin
      if (ch == ";") { if (copyin) pend = 1; nw = 0; copy = 0; copyin = 0; pw = "" }
      if (ch == "-" && at(i + 1) == "-") break
      if (ch == "/" && at(i + 1) == "*") { st = 4; depth = 1; i += 2; continue }
      if (ch == "\047") { st = (prev ~ /[eE]/ && !ident(prev2)) ? 2 : 1; bs = 0; i++; continue }
      if (ch == "\"") { st = 3; i++; continue }
      if (ch == "$" && !ident(prev)) {
        j = i + 1; t = ""
        while (j <= len && ((d = at(j)) ~ /[A-Za-z_]/ || d > "~" || (t != "" && d ~ /[0-9]/))) { t = t d; j++ }
        if (at(j) == "$") { st = 5; tag = "$" t "$"; i = j + 1; continue }
      }
      if (ch == "\\") {
        d = at(i + 1)
        if (d == ";" || d == ":") { prev2 = prev; prev = d; i += 2; continue }
        name = ""
        for (j = i + 1; j <= len && (d = at(j)) !~ /[ \t\f\v\r\\]/; j++) name = name d
        if (name != "echo" && name != "qecho" && name != "warn") bad("psql meta-command \\" name)
        rest = substr(line, j)
        if (index(rest, "\\") || index(rest, "`")) bad("psql meta-command \\" name " with a backquote or another backslash on its line")
        break
      }
      prev2 = prev; prev = ch; i++; continue
    }
    if (st == 1) { # a plain string: no backslash escapes
      if (ch == "\\") { bs++; i++; continue }
      if (ch == "\047") {
        if (bs % 2 == 1) bad("a backslash right before the closing quote of a string (with standard_conforming_strings off the string goes on)")
        bs = 0
        if (at(i + 1) == "\047") { i += 2; continue }
        st = 0; prev2 = " "; prev = "\047"; i++; continue
      }
      bs = 0; i++; continue
    }
    if (st == 2) { # E'...'
      if (ch == "\\") { i += 2; continue }
      if (ch == "\047") {
        if (at(i + 1) == "\047") { i += 2; continue }
        st = 0; prev2 = " "; prev = "\047"
      }
      i++; continue
    }
    if (st == 3) { # "identifier"
      if (ch == "\"") { if (at(i + 1) == "\"") { i += 2; continue }; st = 0; prev2 = " "; prev = "\"" }
      i++; continue
    }
    if (st == 4) { # /* comment */, nested
      if (ch == "/" && at(i + 1) == "*") { depth++; i += 2; continue }
      if (ch == "*" && at(i + 1) == "/") { if (--depth == 0) { st = 0; prev2 = " "; prev = " " }; i += 2; continue }
      i++; continue
    }
    if (st == 5) { # $tag$ ... $tag$
      if (ch == "$") {
        k = length(tag)
        for (j = 2; j <= k && at(i + j - 1) == substr(tag, j, 1); j++) ;
        if (j > k) { st = 0; prev2 = " "; prev = " "; i += k; continue }
      }
      i++; continue
    }
  }
  flush(); prev2 = prev; prev = " "; bs = 0
  if (pend) { st = 6; pend = 0 } # the data starts on the next line
}' "$1"
}

case "${DB_CLIENT:-pg}" in
  pg | postgres | postgresql) ;;
  *) fail "DB_CLIENT=${DB_CLIENT} is not supported: this runner is for PostgreSQL (pg)" ;;
esac
[ -n "${DB_HOST:-}" ] || fail "DB_HOST is not set"
[ -n "${DB_DATABASE:-}" ] || fail "DB_DATABASE is not set"
[ -n "${DB_USER:-}" ] || fail "DB_USER is not set"
if [ ! -d "$dir" ]; then
  # db-post/ is optional (a repository without it copies none into the image); the
  # ledger check below still refuses a database that has db-post files applied.
  [ "$step" = db-post ] && [ ! -e "$dir" ] || fail "$dir: not a directory ($dir_var)"
fi

# --- connection: Directus's variables -> libpq's --------------------------------
export PGHOST="$DB_HOST" PGPORT="${DB_PORT:-5432}" PGDATABASE="$DB_DATABASE" PGUSER="$DB_USER"
if [ -n "${DB_PASSWORD:-}" ]; then export PGPASSWORD="$DB_PASSWORD"; fi
export PGCONNECT_TIMEOUT="${PGCONNECT_TIMEOUT:-5}" PGAPPNAME="trm-$step"
where="$PGHOST:$PGPORT"

tmp=$(mktemp -d)
lock_pid=""
cleanup() {
  if [ -n "$lock_pid" ]; then kill "$lock_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

if [ -n "${DB_SSL__CA:-}${DB_SSL__CERT:-}${DB_SSL__KEY:-}${DB_SSL__REJECT_UNAUTHORIZED:-}" ] && [ -z "${PGSSLMODE:-}" ]; then
  export PGSSLMODE=require
  if [ -n "${DB_SSL__CA:-}" ]; then
    printf '%s\n' "$DB_SSL__CA" >"$tmp/ca.pem"
    export PGSSLROOTCERT="$tmp/ca.pem"
    [ "${DB_SSL__REJECT_UNAUTHORIZED:-true}" = false ] || export PGSSLMODE=verify-full
  fi
  if [ -n "${DB_SSL__CERT:-}" ]; then
    printf '%s\n' "$DB_SSL__CERT" >"$tmp/cert.pem"
    export PGSSLCERT="$tmp/cert.pem"
  fi
  if [ -n "${DB_SSL__KEY:-}" ]; then
    (umask 077 && printf '%s\n' "$DB_SSL__KEY" >"$tmp/key.pem")
    export PGSSLKEY="$tmp/key.pem"
  fi
fi

psql_() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

# --- the files --------------------------------------------------------------------
files=()
# (a glob, not find -printf: the image's find is busybox's)
while IFS= read -r f; do
  [ -z "$f" ] || [ ! -f "$dir/$f" ] || files+=("$f")
done < <([ ! -d "$dir" ] || (cd "$dir" && for p in *.sql; do printf '%s\n' "$p"; done) | LC_ALL=C sort)
declare -A sha_of=()
for f in "${files[@]}"; do
  [[ "$f" =~ ^[0-9]+_[A-Za-z0-9_.-]+\.sql$ ]] || fail "$f" "file name must look like 0001_short_name.sql"
  if grep -Eiq '^[[:space:]]*(BEGIN|START[[:space:]]+TRANSACTION|COMMIT|ROLLBACK)[[:space:]]*;' "$dir/$f"; then
    fail "$f" "contains transaction control (BEGIN/COMMIT/ROLLBACK); the runner wraps each file in its own transaction"
  fi
  sha_of[$f]=$(sha256sum "$dir/$f" | cut -d' ' -f1)
done

# --- wait for the database (bounded) ----------------------------------------------
deadline=$((SECONDS + wait_seconds))
until psql_ -At -c 'SELECT 1' >/dev/null 2>"$tmp/err"; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    fail "database at $where not reachable after ${wait_seconds}s: $(reason_of "$tmp/err")"
  fi
  sleep 1
done

# --- the advisory lock, held by one psql session for the whole run ----------------
# Polled with pg_try_advisory_lock rather than a blocking pg_advisory_lock: a session
# blocked inside a statement holds a snapshot, and a concurrent Directus bootstrap's
# CREATE INDEX CONCURRENTLY would wait for it forever.
lock_wait=${DB_INIT_LOCK_WAIT_SECONDS:-600}
coproc LOCK { exec psql -X -q -At -v ON_ERROR_STOP=1 2>&1; }
lock_pid=$LOCK_PID
lock_deadline=$((SECONDS + lock_wait))
said=""
while :; do
  printf 'SELECT pg_try_advisory_lock(%s);\n' "$lock_key" >&"${LOCK[1]}" 2>/dev/null ||
    fail "could not take the advisory lock of the SQL steps on $where: the lock session ended"
  answer=""
  IFS= read -r -t 60 answer <&"${LOCK[0]}" || true
  case "$answer" in
    t) break ;;
    f) ;;
    *) fail "could not take the advisory lock of the SQL steps on $where: ${answer:-no answer}" ;;
  esac
  if [ -z "$said" ]; then
    echo "[$step] waiting for another boot's db-init/db-post run to finish (advisory lock $lock_key)"
    said=1
  fi
  [ "$SECONDS" -lt "$lock_deadline" ] ||
    fail "another boot's db-init/db-post run held the advisory lock for more than ${lock_wait}s (DB_INIT_LOCK_WAIT_SECONDS)"
  sleep 0.5
done

# --- the ledger ---------------------------------------------------------------------
psql_ 2>"$tmp/err" >/dev/null <<'SQL' || fail "ledger: $(reason_of "$tmp/err")"
CREATE SCHEMA IF NOT EXISTS trm_db_init;
CREATE TABLE IF NOT EXISTS trm_db_init.ledger (
  file        text        PRIMARY KEY,
  sha256      text        NOT NULL,
  applied_at  timestamptz NOT NULL DEFAULT now(),
  duration_ms integer     NOT NULL
);
COMMENT ON TABLE trm_db_init.ledger IS 'SQL migrations applied to this database by scripts/apply-db-init.sh: db-init files by name, db-post files as db-post/<name>';
SQL

declare -A applied_sha=()
# This step's rows only: db-init's are the names without a `/` (all rows an older
# runner wrote), db-post's start with `db-post/` (shown and compared without it).
if [ -z "$key_prefix" ]; then
  rows="strpos(file, '/') = 0"
else
  rows="starts_with(file, '$key_prefix')"
fi
ledger=$(psql_ -At -F ' ' -c "SELECT substr(file, ${#key_prefix} + 1), sha256 FROM trm_db_init.ledger WHERE $rows ORDER BY file" 2>"$tmp/err") ||
  fail "ledger: $(reason_of "$tmp/err")"
while read -r f s; do
  [ -n "$f" ] || continue
  applied_sha[$f]=$s
done <<<"$ledger"

# Refuse before touching anything: a changed or a vanished applied file.
for f in "${!applied_sha[@]}"; do
  if [ -z "${sha_of[$f]:-}" ]; then
    fail "$f" "applied to this database (ledger) but missing from $dir; restore the file, never remove an applied migration"
  fi
  if [ "${sha_of[$f]}" != "${applied_sha[$f]}" ]; then
    fail "$f" "changed after it was applied (sha256 ${applied_sha[$f]:0:12}... in the ledger, ${sha_of[$f]:0:12}... on disk); revert it and add a new migration instead"
  fi
done

# Refuse, still before touching anything, a pending file with a psql meta-command.
# (Only files holding a backslash can have one: the others skip the scan.)
for f in "${files[@]}"; do
  [ -z "${applied_sha[$f]:-}" ] || continue
  grep -qF '\' "$dir/$f" || continue
  if ! where_what=$(meta_commands "$dir/$f"); then
    [ -n "$where_what" ] || fail "$f" "could not be checked for psql meta-commands"
    at=${where_what%%: *}
    fail "$f" "line ${at%%:*}, column ${at#*:}: ${where_what#*: }: refused, nothing was applied (psql would run it itself, outside the SQL and the runner's transaction; only \\echo, \\qecho and \\warn are allowed)"
  fi
done

# --- apply the pending files, one transaction each -------------------------------
applied=0
skipped=0
for f in "${files[@]}"; do
  if [ -n "${applied_sha[$f]:-}" ]; then
    skipped=$((skipped + 1))
    continue
  fi
  echo "[$step] applying $f"
  # The ledger row is written only while the runner's transaction is still the one
  # that began before the file (a COMMIT or ROLLBACK inside it would have ended it).
  if ! (cd "$dir" && psql_ -v file="$key_prefix$f" -v sha="${sha_of[$f]}" >/dev/null 2>"$tmp/err") <<SQL; then
BEGIN;
SELECT txid_current() AS trm_txid \\gset
\\i '$f'
INSERT INTO trm_db_init.ledger (file, sha256, duration_ms)
SELECT :'file', :'sha', (extract(epoch FROM clock_timestamp() - now()) * 1000)::integer
WHERE txid_current() = :trm_txid;
COMMIT;
SQL
    fail "$f" "$(reason_of "$tmp/err") (rolled back; nothing of this file was applied)"
  fi
  # Proof: the row, read back in a new session.
  recorded=$(printf '%s\n' "SELECT count(*) FROM trm_db_init.ledger WHERE file = :'file' AND sha256 = :'sha';" |
    psql_ -At -v file="$key_prefix$f" -v sha="${sha_of[$f]}" 2>"$tmp/err") ||
    fail "$f" "psql ran it, but its ledger row could not be read back: $(reason_of "$tmp/err"); check the database before booting again"
  [ "$recorded" = 1 ] ||
    fail "$f" "psql ran it without an error, but its ledger row is missing: the file did not run as one transaction with it (a COMMIT or ROLLBACK in it?), so parts of it may be applied; check the database"
  applied=$((applied + 1))
done

echo "[$step] $applied applied, $skipped skipped"
