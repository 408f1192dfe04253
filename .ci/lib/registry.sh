#!/usr/bin/env bash
# CI's image registry: Debian's docker-registry (the CNCF distribution registry, 2.8) on
# 127.0.0.1:$TRM_CI_REGISTRY_PORT (5555), storage in $TRM_CI_CACHE/registry/data, no auth
# (loopback registries need no TLS). The engine uses it as its registry mirror
# (.ci/lib/docker-engine.sh), so the images pushed here under Docker Hub's names are what
# `docker pull` and trm-ci's pulls get, offline, as a GitHub runner gets them from Docker Hub.
#
#   registry.sh start              start it unless it answers (log: $TRM_CI_CACHE/registry/registry.log)
#   registry.sh push IMAGE NAME    push the local IMAGE as NAME (e.g. directus/directus:11.17.4),
#                                  unless the registry already holds that very image
set -euo pipefail
. "$(dirname "$0")/common.sh"

port=${TRM_CI_REGISTRY_PORT:-5555}
addr=127.0.0.1:$port
dir=$ci_cache/registry

answers() { curl -fsS -m 5 "http://$addr/v2/" >/dev/null 2>&1; }

start() {
  if answers; then
    log "registry: answering on $addr"
    return 0
  fi
  command -v docker-registry >/dev/null || die "docker-registry not found: install Debian's docker-registry"
  mkdir -p "$dir/data"
  # The package's own /etc/docker/registry/config.yml asks for an htpasswd file and listens on
  # every interface: CI writes its own.
  cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: warn
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: $addr
EOF
  log "registry: starting docker-registry on $addr (storage $dir/data)"
  daemon "$dir/registry.log" docker-registry serve "$dir/config.yml"
  local pid=$! i
  for ((i = 0; i < 30; i++)); do
    if answers; then
      log "registry: up after ${i}s (pid $pid)"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || { tail -n 20 "$dir/registry.log" >&2; die "docker-registry exited; see $dir/registry.log"; }
    sleep 1
  done
  die "docker-registry did not answer on $addr within 30 s; see $dir/registry.log"
}

push() {
  local image=$1 name=$2 repo tag remote id t0
  repo=${name%:*}
  tag=${name##*:}
  id=$(docker image inspect -f '{{ .Id }}' "$image" 2>/dev/null) || die "push: no image $image on the engine"
  # The image ID is its config's digest, which the registry's manifest names.
  remote=$(curl -fsS -m 10 -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$addr/v2/$repo/manifests/$tag" 2>/dev/null \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["config"]["digest"])' 2>/dev/null || true)
  if [ "$remote" = "$id" ]; then
    log "registry: $name is $image already"
    return 0
  fi
  t0=$(now)
  docker tag "$image" "$addr/$name"
  docker push "$addr/$name" >>"$dir/push.log" 2>&1 || { tail -n 20 "$dir/push.log" >&2; die "pushing $image as $addr/$name failed"; }
  docker rmi "$addr/$name" >/dev/null
  log "registry: pushed $image as $name in $(($(now) - t0))s"
}

case "${1:-}" in
  start) start ;;
  push) push "${2:?usage: registry.sh push IMAGE NAME}" "${3:?usage: registry.sh push IMAGE NAME}" ;;
  *) die "usage: registry.sh start | push IMAGE NAME" ;;
esac
