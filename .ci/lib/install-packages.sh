#!/usr/bin/env bash
# Installs the Debian packages CI needs, only those missing: one `apt-get update`, one
# `apt-get install`. Needs root (CI runs as root). A machine that already has them
# spends nothing here.
set -euo pipefail
. "$(dirname "$0")/common.sh"

# package -> why
#   docker.io            the engine for trm-ci build/smoke and the dev stack
#   docker-compose       Debian's compose v1, for the dev-stack test (when `docker compose` is absent)
#   debootstrap          root filesystems for the offline base images
#   postgresql-15        server binaries for the boot tests (initdb, pg_ctl, postgres)
#   postgresql-client-15 psql for the tests and db-init
#   chromium             headless browser for the admin-UI test
#   fonts-liberation     so that the admin-UI screenshot has readable text
#   build-essential, python3   npm rebuild of isolated-vm (Directus) for Node 22
#   busybox              the boot tests run the scripts on busybox's sed, grep, awk, ... (as in the Alpine image)
#   curl, wget, ca-certificates, xz-utils, git
#   python3-venv, shellcheck   the Action's lint tools (.ci/lib/install-action-tools.sh, actionlint)
#   docker-registry      the local image registry, the engine's mirror (.ci/lib/registry.sh)
#   apache2-utils        htpasswd -B, for the private registry of tests/pull.rs
wanted=(docker.io docker-compose debootstrap postgresql-15 postgresql-client-15 chromium
  fonts-liberation build-essential python3 busybox curl wget ca-certificates xz-utils git
  python3-venv shellcheck docker-registry apache2-utils)
command -v npm >/dev/null || wanted+=(npm)

missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  log "packages: all present"
  exit 0
fi
[ "$(id -u)" = 0 ] || die "missing Debian packages (${missing[*]}) and not root: install them, then rerun"
mkdir -p "$ci_cache"
aptlog="$ci_cache/apt.log"
log "packages: installing ${missing[*]} (log: $aptlog)"
export DEBIAN_FRONTEND=noninteractive
apt-get update >"$aptlog" 2>&1 || { tail -n 20 "$aptlog" >&2; die "apt-get update failed (log: $aptlog)"; }
apt-get install -y --no-install-recommends "${missing[@]}" >>"$aptlog" 2>&1 \
  || { tail -n 30 "$aptlog" >&2; die "apt-get install ${missing[*]} failed (log: $aptlog)"; }
log "packages: installed"
