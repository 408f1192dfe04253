#!/usr/bin/env bash
# Container entrypoint: db-init -> Directus bootstrap + schema apply -> db-post -> Directus
# start. Any failing step ends the container non-zero after a line naming the step.
#
# TRM_BOOT_MODE (for N replicas on one database; see the README's production section):
#   full     (default) the four steps above, each replica in turn (advisory locks)
#   migrate  db-init -> schema -> db-post, then exit 0 without starting Directus: a
#            Kubernetes Job, a one-shot Swarm service, a Portainer pre-deploy step
#   wait     apply nothing: wait until the database has this image's db-init, snapshot
#            and db-post (applied by the migrate job), then start Directus
#
# PID 1 is tini (the Dockerfile's ENTRYPOINT): it forwards `docker stop`'s SIGTERM to
# this script, reaps zombies and passes the exit status of its child on to Docker.
#
# Directories (production defaults; overridden only by tests):
#   TRM_DIRECTUS_DIR   /directus                       the directus package (cli.js)
#   TRM_SCRIPTS_DIR    $TRM_DIRECTUS_DIR/scripts
#   TRM_DB_INIT_DIR    $TRM_DIRECTUS_DIR/db-init       (read by scripts/apply-db-init.sh)
#   TRM_SNAPSHOT_FILE  $TRM_DIRECTUS_DIR/snapshots/snapshot.yaml (scripts/schema-apply.sh)
#   TRM_DB_POST_DIR    $TRM_DIRECTUS_DIR/db-post       (read by scripts/apply-db-post.sh)
#   TRM_NODE           node
set -euo pipefail

export TRM_DIRECTUS_DIR="${TRM_DIRECTUS_DIR:-/directus}"
scripts_dir="${TRM_SCRIPTS_DIR:-$TRM_DIRECTUS_DIR/scripts}"
node="${TRM_NODE:-node}"

# During the boot steps, forward `docker stop` (SIGTERM from tini) to the running step
# and end with a line saying so, instead of leaving the step's processes behind. (Each
# migration is one transaction, so stopping mid-step never leaves half a file applied.)
# Job control puts each step in its own process group, so the signal reaches the
# step's children too (psql, node). Without tini (bash as PID 1) this trap is also what
# makes bash react to SIGTERM at all.
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

mode=${TRM_BOOT_MODE:-full}
case "$mode" in
  full | migrate | wait) ;;
  *)
    echo "[entrypoint] ERROR: TRM_BOOT_MODE=$mode is not one of full, migrate, wait; not starting Directus" >&2
    exit 2
    ;;
esac

if [ "$mode" != wait ]; then
  n=4
  [ "$mode" = full ] || n=3
  echo "[entrypoint] step 1/$n: db-init (SQL migrations in ${TRM_DB_INIT_DIR:-$TRM_DIRECTUS_DIR/db-init})"
  step db-init "$scripts_dir/apply-db-init.sh"

  echo "[entrypoint] step 2/$n: schema (Directus bootstrap, then apply ${TRM_SNAPSHOT_FILE:-$TRM_DIRECTUS_DIR/snapshots/snapshot.yaml})"
  step schema "$scripts_dir/schema-apply.sh"

  echo "[entrypoint] step 3/$n: db-post (SQL migrations for the collection tables in ${TRM_DB_POST_DIR:-$TRM_DIRECTUS_DIR/db-post})"
  step db-post "$scripts_dir/apply-db-post.sh"

  if [ "$mode" = migrate ]; then
    echo "[entrypoint] migrate-only: db-init, schema and db-post done; exiting 0 without starting Directus (TRM_BOOT_MODE=migrate)"
    exit 0
  fi
  echo "[entrypoint] step 4/4: start (node cli.js start)"
else
  echo "[entrypoint] step 1/2: wait (for the migrate job to apply this image's db-init, snapshot and db-post; TRM_BOOT_MODE=wait)"
  step wait "$scripts_dir/schema-apply.sh" wait
  echo "[entrypoint] step 2/2: start (node cli.js start)"
fi

# Directus replaces this shell: tini's child, not PID 1, so its own SIGTERM handler
# (terminus: close the server and the pool, "Bye bye!", re-raise) ends it with 143.
trap - TERM INT
exec "$node" "$TRM_DIRECTUS_DIR/cli.js" start
