#!/usr/bin/env bash
# Builds (once) a Debian bookworm minbase root filesystem with extra packages and
# prints the path of its cached tarball:
#   rootfs.sh NAME PKG...   ->  $TRM_CI_CACHE/rootfs/NAME-<hash>.tar
# The hash covers the suite, the package list and this script, so a change to any of
# them makes a new tarball; older tarballs of NAME are removed. The mirror is the one
# apt on this machine is configured with (TRM_CI_DEBIAN_MIRROR overrides).
set -euo pipefail
. "$(dirname "$0")/common.sh"

name=${1:?usage: rootfs.sh NAME PKG...}
shift
suite=bookworm
pkgs=$(printf '%s\n' "$@" | sort -u | paste -sd, -)
hash=$( { echo "$suite $pkgs"; cat "${BASH_SOURCE[0]}"; } | sha256sum | cut -c1-16)
dir="$ci_cache/rootfs"
tarball="$dir/$name-$hash.tar"
if [ -f "$tarball" ]; then
  log "rootfs $name: cached ($tarball)"
  echo "$tarball"
  exit 0
fi

# The Debian mirror apt uses: deb822 .sources files first, then one-line sources.list.
mirror=${TRM_CI_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(awk '
    /^URIs:/ { uri = $2 }
    /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "'"$suite"'" && uri ~ /debian\/?$/) { print uri; exit } }
    /^$/ { uri = "" }' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
fi
if [ -z "$mirror" ]; then
  mirror=$(awk '$1 == "deb" && $3 == "'"$suite"'" { print $2; exit }' \
    /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n1)
fi
mirror=${mirror:-http://deb.debian.org/debian}
command -v debootstrap >/dev/null || die "debootstrap not found (apt-get install -y debootstrap)"

mkdir -p "$dir"
work="$dir/$name.tmp"
rm -rf "$work"
mkdir -p "$work/root"
log "rootfs $name: debootstrap $suite from $mirror with: $pkgs"
t0=$(now)
debootstrap --variant=minbase --include="$pkgs" "$suite" "$work/root" "$mirror" \
  >"$work/debootstrap.log" 2>&1 || {
    tail -n 30 "$work/debootstrap.log" >&2
    [ -f "$work/root/debootstrap/debootstrap.log" ] && tail -n 30 "$work/root/debootstrap/debootstrap.log" >&2
    die "debootstrap failed for rootfs $name (log: $work/debootstrap.log)"
  }
# Slim it: package caches, docs, man pages, non-English locales.
r="$work/root"
rm -rf "$r"/var/cache/apt/*.bin "$r"/var/cache/apt/archives/*.deb "$r"/var/lib/apt/lists/* \
  "$r"/usr/share/doc/* "$r"/usr/share/man/* "$r"/usr/share/info/* "$r"/var/log/*.log \
  "$r"/var/cache/debconf/*-old "$r"/var/lib/dpkg/*-old
find "$r/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name 'en*' ! -name locale.alias -exec rm -rf {} + 2>/dev/null || true
tar -C "$r" --numeric-owner -cf "$work/rootfs.tar" .
rm -f "$dir/$name"-*.tar
mv "$work/rootfs.tar" "$tarball"
rm -rf "$work"
log "rootfs $name: built in $(($(now) - t0))s, $(du -h "$tarball" | cut -f1)"
echo "$tarball"
