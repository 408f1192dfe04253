#!/usr/bin/env bash
# Refreshes the schema snapshot from a running dev Directus with Directus's own
# `directus schema snapshot`, so nobody writes snapshots/snapshot.yaml by hand.
#
#   scripts/snapshot-export.sh --compose [OUT]
#       from the host: exports from the `directus` service of compose.dev.yaml
#       (`pnpm dev:reset` or `docker compose -f compose.dev.yaml up`), writes OUT
#       (default snapshots/snapshot.yaml next to this script's repository).
#   snapshot-export.sh [OUT]
#       where Directus itself is (inside the container, or a host with Directus
#       installed): uses the DB_* variables Directus uses, TRM_DIRECTUS_DIR
#       (default /directus) and TRM_NODE (default node); OUT default
#       $TRM_SNAPSHOT_FILE or $TRM_DIRECTUS_DIR/snapshots/snapshot.yaml.
#
# The result is checked (version 1, the running Directus version, vendor postgres)
# and replaces OUT only when the export succeeded. Review the diff, commit it.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ "${1:-}" = --compose ]; then
  repo=$(cd "$here/.." && pwd)
  out=${2:-$repo/snapshots/snapshot.yaml}
  if docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
  else
    compose=(docker-compose)
  fi
  compose+=(-f "$repo/compose.dev.yaml")
  tmp=$(mktemp)
  trap 'rm -f "$tmp"' EXIT
  "${compose[@]}" exec -T directus /directus/scripts/snapshot-export.sh /tmp/snapshot-export.yaml >&2
  "${compose[@]}" exec -T directus cat /tmp/snapshot-export.yaml >"$tmp"
  mkdir -p "$(dirname "$out")"
  mv "$tmp" "$out"
  echo "[snapshot-export] wrote $out"
  exit 0
fi

directus_dir=${TRM_DIRECTUS_DIR:-/directus}
node=${TRM_NODE:-node}
out=${1:-${TRM_SNAPSHOT_FILE:-$directus_dir/snapshots/snapshot.yaml}}
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
mkdir -p "$(dirname "$out")"

"$node" "$directus_dir/cli.js" schema snapshot --yes --format yaml "$tmp" >&2 || {
  echo "[snapshot-export] ERROR: directus schema snapshot failed" >&2
  exit 1
}
version=$("$node" -e 'import(process.argv[1]).then((m) => console.log(m.version))' "$directus_dir/version.js")
grep -qx 'version: 1' "$tmp" || { echo "[snapshot-export] ERROR: no 'version: 1' in the export" >&2; exit 1; }
grep -qx "directus: $version" "$tmp" || { echo "[snapshot-export] ERROR: the export is not from Directus $version" >&2; exit 1; }
grep -qx 'vendor: postgres' "$tmp" || { echo "[snapshot-export] ERROR: the export is not from PostgreSQL" >&2; exit 1; }
mv "$tmp" "$out"
echo "[snapshot-export] wrote $out (Directus $version)"
