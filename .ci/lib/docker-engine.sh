#!/usr/bin/env bash
# Makes sure a Docker engine answers: if `docker info` fails, starts Debian's dockerd in
# the background (log: $TRM_CI_CACHE/dockerd.log) and waits for it, at most
# TRM_CI_DOCKERD_WAIT seconds (default 60).
set -euo pipefail
. "$(dirname "$0")/common.sh"

if docker info >/dev/null 2>&1; then
  log "docker engine: answering"
  exit 0
fi
command -v dockerd >/dev/null || die "dockerd not found: install Debian's docker.io (apt-get install -y docker.io)"
mkdir -p "$ci_cache"
log "docker engine: starting dockerd (log: $ci_cache/dockerd.log)"
# setsid: the engine outlives this script and the CI job's process group; 9>&-: it must
# not inherit .ci/test's setup lock.
setsid dockerd >>"$ci_cache/dockerd.log" 2>&1 </dev/null 9>&- &
pid=$!
wait_s=${TRM_CI_DOCKERD_WAIT:-60}
for ((i = 0; i < wait_s; i++)); do
  if docker info >/dev/null 2>&1; then
    log "docker engine: up after ${i}s (dockerd pid $pid)"
    exit 0
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    tail -n 20 "$ci_cache/dockerd.log" >&2 || true
    die "dockerd exited during start-up; see $ci_cache/dockerd.log"
  fi
  sleep 1
done
tail -n 20 "$ci_cache/dockerd.log" >&2 || true
die "docker engine did not answer within ${wait_s}s; see $ci_cache/dockerd.log"
