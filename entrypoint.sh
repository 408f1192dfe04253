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

failed() { # failed STEP EXIT_CODE
  echo "[entrypoint] ERROR: step '$1' failed (exit $2); not starting Directus" >&2
  exit "$2"
}

echo "[entrypoint] step 1/3: db-init (SQL migrations in ${TRM_DB_INIT_DIR:-$TRM_DIRECTUS_DIR/db-init})"
rc=0
"$scripts_dir/apply-db-init.sh" || rc=$?
[ "$rc" -eq 0 ] || failed db-init "$rc"

echo "[entrypoint] step 2/3: schema (Directus bootstrap, then apply ${TRM_SNAPSHOT_FILE:-$TRM_DIRECTUS_DIR/snapshots/snapshot.yaml})"
rc=0
"$scripts_dir/schema-apply.sh" || rc=$?
[ "$rc" -eq 0 ] || failed schema "$rc"

echo "[entrypoint] step 3/3: start (node cli.js start)"
exec "$node" "$TRM_DIRECTUS_DIR/cli.js" start
