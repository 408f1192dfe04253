#!/usr/bin/env bash
# Container entrypoint: db-init -> Directus bootstrap + schema apply -> Directus start.
# Any failing step ends the container non-zero after a line naming the step.
#
# Directories (production defaults; overridden only by tests):
#   TRM_DIRECTUS_DIR   /directus                       the directus package (cli.js)
#   TRM_SCRIPTS_DIR    $TRM_DIRECTUS_DIR/scripts
#   TRM_DB_INIT_DIR    $TRM_DIRECTUS_DIR/db-init       (read by scripts/apply-db-init.sh)
#   TRM_SNAPSHOT_FILE  $TRM_DIRECTUS_DIR/snapshots/snapshot.yaml (scripts/schema-apply.sh)
#   TRM_NODE           node
set -euo pipefail

export TRM_DIRECTUS_DIR="${TRM_DIRECTUS_DIR:-/directus}"
scripts_dir="${TRM_SCRIPTS_DIR:-$TRM_DIRECTUS_DIR/scripts}"
node="${TRM_NODE:-node}"

# As PID 1, bash ignores SIGTERM unless trapped: forward `docker stop` to the running
# step instead of waiting for the kill timeout. (Each migration is one transaction,
# so stopping mid-step never leaves half a file applied.)
# Job control puts each step in its own process group, so the signal reaches the
# step's children too (psql, node).
set -m
child=""
stopping=""
on_signal() {
  stopping=$1
  echo "[entrypoint] received SIG$1; stopping the current step" >&2
  if [ -n "$child" ]; then kill -TERM -- "-$child" 2>/dev/null || true; fi
}
trap 'on_signal TERM' TERM
trap 'on_signal INT' INT

step() { # step NAME COMMAND...: runs one boot step, ends the container if it fails
  local name=$1 rc
  shift
  "$@" &
  child=$!
  while :; do
    rc=0
    wait "$child" || rc=$?
    # a trapped signal interrupts `wait` (status > 128) while the step still runs
    kill -0 "$child" 2>/dev/null || break
  done
  child=""
  if [ -n "$stopping" ]; then
    echo "[entrypoint] ERROR: step '$name' interrupted by SIG$stopping; not starting Directus" >&2
    exit 143
  fi
  if [ "$rc" -ne 0 ]; then
    echo "[entrypoint] ERROR: step '$name' failed (exit $rc); not starting Directus" >&2
    exit "$rc"
  fi
}

echo "[entrypoint] step 1/3: db-init (SQL migrations in ${TRM_DB_INIT_DIR:-$TRM_DIRECTUS_DIR/db-init})"
step db-init "$scripts_dir/apply-db-init.sh"

echo "[entrypoint] step 2/3: schema (Directus bootstrap, then apply ${TRM_SNAPSHOT_FILE:-$TRM_DIRECTUS_DIR/snapshots/snapshot.yaml})"
step schema "$scripts_dir/schema-apply.sh"

echo "[entrypoint] step 3/3: start (node cli.js start)"
trap - TERM INT
exec "$node" "$TRM_DIRECTUS_DIR/cli.js" start
