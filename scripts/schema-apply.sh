#!/usr/bin/env bash
# The schema step of the boot sequence: Directus bootstrap, then the snapshot.
#
#   - bootstrap first (system tables on an empty database; the first admin from
#     ADMIN_EMAIL + ADMIN_PASSWORD when both are set; pending Directus migrations);
#   - plan (what `directus schema apply --dry-run` prints); a plan that deletes a
#     collection or a field is refused, naming them, unless each deletion is listed in
#     allow-destructive.txt beside the snapshot (the reviewed approvals), or
#     TRM_ALLOW_DESTRUCTIVE_SCHEMA=1 (every deletion, one boot, emergencies);
#   - apply, then plan again: anything still differing is an error naming it;
#   - the snapshot must come from this Directus version on postgres.
#
# The work is done by schema-apply.mjs in one Node process with Directus's own
# internals (one process instead of four CLI runs of ~3.5 s each). This wrapper never
# trusts the exit code alone: success needs the final `[schema] no changes` or
# `[schema] applied: <summary>` line.
#
# Output: `[schema] no changes` | `[schema] applied: <summary>` | `[schema] kept newer: <why>`
# (this image's snapshot is older than the database's: not applied) | `[schema] ERROR:
# <reason>` (exit 1).
# Environment: the DB_* variables Directus uses, TRM_DIRECTUS_DIR (/directus),
# TRM_SNAPSHOT_FILE ($TRM_DIRECTUS_DIR/snapshots/snapshot.yaml), TRM_NODE (node),
# TRM_ALLOW_DESTRUCTIVE_SCHEMA (unset), TRM_ALLOW_SCHEMA_ROLLBACK (unset),
# TRM_IMAGE_REVISION (recorded with each snapshot applied), TRM_SCHEMA_TIMEOUT_SECONDS (600).
#
# `schema-apply.sh wait` (TRM_BOOT_MODE=wait) applies nothing and waits, at most
# TRM_SCHEMA_WAIT_SECONDS (600), until another boot (the migrate job) has applied this
# image's db-init, snapshot and db-post: `[wait] ready: <what>` or `[wait] ERROR: <reason>`.
set -euo pipefail

mode=${1:-apply}
case "$mode" in
  apply) tag=schema ;;
  wait) tag=wait ;;
  *)
    echo "[schema] ERROR: unknown mode $mode (usage: schema-apply.sh [apply|wait])" >&2
    exit 2
    ;;
esac

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export TRM_DIRECTUS_DIR="${TRM_DIRECTUS_DIR:-/directus}"
export TRM_SNAPSHOT_FILE="${TRM_SNAPSHOT_FILE:-$TRM_DIRECTUS_DIR/snapshots/snapshot.yaml}"
node=${TRM_NODE:-node}

if [ ! -f "$TRM_SNAPSHOT_FILE" ]; then
  echo "[$tag] ERROR: snapshot $TRM_SNAPSHOT_FILE not found (TRM_SNAPSHOT_FILE)" >&2
  exit 1
fi

out=$(mktemp)
trap 'rm -f "$out"' EXIT
rc=0
"$node" "$here/schema-apply.mjs" "$mode" 2>&1 | tee "$out" || rc=$?

last=$(grep -E "^\\[$tag\\] (no changes\$|applied: |kept newer: |ready: |ERROR: )" "$out" | tail -n1 || true)
case "$rc:$last" in
  "0:[schema] no changes" | "0:[schema] applied: "* | "0:[schema] kept newer: "* | "0:[wait] ready: "*) exit 0 ;;
  *":[$tag] ERROR: "*) exit 1 ;;
  *)
    echo "[$tag] ERROR: the $tag step ended (exit $rc) without a result line; see the lines above" >&2
    exit 1
    ;;
esac
