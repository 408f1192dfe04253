# Shared helpers for the CI scripts under .ci/. Source it; it defines no side effects
# beyond variables and functions.
#   TRM_CI_CACHE   cache root (default /var/cache/trm-ci): npm installs, debootstrap
#                  tarballs, dockerd log, cargo target dir.

ci_cache=${TRM_CI_CACHE:-/var/cache/trm-ci}
ci_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

log() { printf '[ci] %s\n' "$*" >&2; }
die() { printf '[ci] ERROR: %s\n' "$*" >&2; exit 1; }

# The Directus pin: the tag of the Dockerfile's FROM directus/directus:X.Y.Z line.
ci_pin() {
  local pin=""
  if [ -f "$ci_root/Dockerfile" ]; then
    pin=$(sed -nE 's/^[[:space:]]*FROM[[:space:]]+(--platform=[^[:space:]]+[[:space:]]+)?directus\/directus:([0-9]+\.[0-9]+\.[0-9]+)([[:space:]].*)?$/\2/Ip' \
      "$ci_root/Dockerfile" | head -n1)
  fi
  echo "${pin:-11.17.4}"
}

# Seconds since the epoch, for phase timings.
now() { date +%s; }

# daemon LOG COMMAND...: starts a server that outlives this script (dockerd, the registry) in a
# session of its own, with stdin from /dev/null, output appended to LOG and NONE of the
# caller's other descriptors: a lock taken with flock on an inherited descriptor (.ci/test's
# setup lock, a developer's `flock /tmp/trm-heavy.lock bash .ci/test`) would otherwise stay
# held for as long as the server runs. $! is the server's pid (the subshell execs into it).
daemon() {
  local log=$1
  shift
  (
    for fd in /proc/self/fd/*; do
      fd=${fd##*/}
      [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-"
    done
    exec setsid "$@" >>"$log" 2>&1 </dev/null
  ) &
}
