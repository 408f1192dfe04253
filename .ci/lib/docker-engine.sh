#!/usr/bin/env bash
# Makes sure a Docker engine answers, with CI's local registry as its registry mirror, so that
# `docker pull postgres:16-alpine` (and trm-ci's pulls through the Engine API) are answered by
# the registry .ci/lib/registry.sh runs on 127.0.0.1, as Docker Hub answers on a GitHub runner.
#
# - /etc/docker/daemon.json gets "registry-mirrors": ["http://127.0.0.1:$TRM_CI_REGISTRY_PORT"]
#   (5555; other keys are kept).
# - No engine answering: starts Debian's dockerd in the background (log:
#   $TRM_CI_CACHE/dockerd.log) and waits for it, at most TRM_CI_DOCKERD_WAIT seconds (60).
# - An engine answering without the mirror: asks it to reload its configuration (SIGHUP;
#   registry-mirrors is one of the settings dockerd reloads, running containers are untouched);
#   if the mirror still does not show in `docker info`, restarts it (systemctl, or the pid in
#   /var/run/docker.pid: SIGTERM, wait, start as above). A restart stops running containers:
#   on a shared machine, hold the heavy-test lock while this runs.
set -euo pipefail
. "$(dirname "$0")/common.sh"

port=${TRM_CI_REGISTRY_PORT:-5555}
mirror="http://127.0.0.1:$port"
daemon_json=${TRM_CI_DAEMON_JSON:-/etc/docker/daemon.json}

has_mirror() {
  docker info --format '{{ json .RegistryConfig.Mirrors }}' 2>/dev/null | grep -qF "\"$mirror/\""
}

# Writes the mirror into daemon.json, keeping whatever else is there.
configure() {
  mkdir -p "$(dirname "$daemon_json")"
  python3 - "$daemon_json" "$mirror" <<'EOF'
import json, os, sys
path, mirror = sys.argv[1], sys.argv[2]
cfg = {}
if os.path.exists(path):
    text = open(path).read()
    if text.strip():
        cfg = json.loads(text)
mirrors = [m for m in cfg.get("registry-mirrors", []) if m.rstrip("/") != mirror]
cfg["registry-mirrors"] = [mirror] + mirrors
tmp = path + ".tmp"
with open(tmp, "w") as f:
    json.dump(cfg, f, indent=2)
    f.write("\n")
os.replace(tmp, path)
EOF
}

start() {
  command -v dockerd >/dev/null || die "dockerd not found: install Debian's docker.io (apt-get install -y docker.io)"
  mkdir -p "$ci_cache"
  log "docker engine: starting dockerd (log: $ci_cache/dockerd.log)"
  # The engine outlives this script and the CI job's process group, holding none of its
  # descriptors (common.sh's daemon).
  daemon "$ci_cache/dockerd.log" dockerd
  local pid=$! i wait_s=${TRM_CI_DOCKERD_WAIT:-60}
  for ((i = 0; i < wait_s; i++)); do
    if docker info >/dev/null 2>&1; then
      log "docker engine: up after ${i}s (dockerd pid $pid)"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$ci_cache/dockerd.log" >&2 || true
      die "dockerd exited during start-up; see $ci_cache/dockerd.log"
    fi
    sleep 1
  done
  tail -n 20 "$ci_cache/dockerd.log" >&2 || true
  die "docker engine did not answer within ${wait_s}s; see $ci_cache/dockerd.log"
}

restart() {
  if command -v systemctl >/dev/null && systemctl is-active --quiet docker 2>/dev/null; then
    log "docker engine: restarting (systemctl restart docker) for the registry mirror"
    systemctl restart docker
    return 0
  fi
  local pid i
  pid=$(cat /var/run/docker.pid 2>/dev/null || true)
  if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
    die "docker engine answers but /var/run/docker.pid names no running dockerd: restart it yourself with the mirror ($daemon_json)"
  fi
  log "docker engine: restarting dockerd (pid $pid) for the registry mirror"
  kill -TERM "$pid"
  for ((i = 0; i < 60; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  kill -0 "$pid" 2>/dev/null && die "dockerd (pid $pid) did not stop within 60 s"
  start
}

if docker info >/dev/null 2>&1; then
  if has_mirror; then
    log "docker engine: answering, registry mirror $mirror"
    exit 0
  fi
  configure
  pid=$(cat /var/run/docker.pid 2>/dev/null || true)
  if [ -n "$pid" ] && kill -HUP "$pid" 2>/dev/null; then
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      has_mirror && break
      sleep 1
    done
  fi
  if has_mirror; then
    log "docker engine: configuration reloaded (SIGHUP), registry mirror $mirror"
    exit 0
  fi
  restart
else
  configure
  start
fi
has_mirror || die "docker engine: the registry mirror $mirror does not show in docker info; see $daemon_json and $ci_cache/dockerd.log"
log "docker engine: registry mirror $mirror"
