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
