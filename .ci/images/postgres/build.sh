#!/usr/bin/env bash
# Builds trm-ci/postgres:15 (see README.md here), unless an image with the same builder
# inputs already exists. Needs debootstrap and a Docker engine.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../lib/common.sh"

tag=trm-ci/postgres:15
packages=(postgresql-15 postgresql-client-15)
inputs=$( {
  echo "packages=${packages[*]}"
  cat "$here/build.sh" "$here/docker-entrypoint.sh" "$here/README.md" "$ci_root/.ci/lib/rootfs.sh"
} | sha256sum | cut -c1-16)
current=$(docker image inspect -f '{{ index .Config.Labels "org.trm-ci.inputs" }}' "$tag" 2>/dev/null || true)
if [ "$current" = "$inputs" ]; then
  log "postgres $tag: up to date (inputs $inputs)"
  exit 0
fi

old_id=$(docker image inspect -f '{{ .Id }}' "$tag" 2>/dev/null || true)
t0=$(now)
rootfs=$(bash "$ci_root/.ci/lib/rootfs.sh" postgres "${packages[@]}")
stage="$ci_cache/postgres-image.tmp"
rm -rf "$stage"
mkdir -p "$stage"
tar -C "$stage" --numeric-owner -xf "$rootfs"
# The Debian package made a cluster and config in /etc/postgresql; the entrypoint uses
# PGDATA with its own config instead.
rm -rf "$stage/var/lib/postgresql/15" "$stage/etc/postgresql/15"
# No JIT (about 150 MB of LLVM): without llvmjit.so the server runs with jit off.
rm -rf "$stage"/usr/lib/postgresql/15/lib/llvmjit* "$stage/usr/lib/postgresql/15/lib/bitcode" \
  "$stage"/usr/lib/x86_64-linux-gnu/libLLVM-* "$stage"/usr/lib/x86_64-linux-gnu/libz3.so*
install -m 0755 "$here/docker-entrypoint.sh" "$stage/usr/local/bin/docker-entrypoint.sh"
install -m 0644 "$here/README.md" "$stage/STANDIN-README.md"
mkdir -p "$stage/docker-entrypoint-initdb.d" "$stage/var/lib/postgresql/data" "$stage/var/run/postgresql"
uid=$(awk -F: '$1 == "postgres" { print $3 }' "$stage/etc/passwd")
gid=$(awk -F: '$1 == "postgres" { print $4 }' "$stage/etc/passwd")
[ -n "$uid" ] || die "no postgres user in the rootfs"
chown "$uid:$gid" "$stage/var/lib/postgresql" "$stage/var/lib/postgresql/data"
chmod 700 "$stage/var/lib/postgresql/data"

tar -C "$stage" --numeric-owner -c . | docker import \
  --change 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV PGDATA=/var/lib/postgresql/data LANG=C.UTF-8' \
  --change 'VOLUME /var/lib/postgresql/data' \
  --change 'EXPOSE 5432' \
  --change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
  --change 'CMD ["postgres"]' \
  --change "LABEL org.trm-ci.standin=true org.trm-ci.inputs=$inputs" \
  - "$tag" >/dev/null
rm -rf "$stage"
[ -n "$old_id" ] && docker rmi "$old_id" >/dev/null 2>&1 || true
log "postgres $tag: built in $(($(now) - t0))s, $(docker image inspect -f '{{ .Size }}' "$tag" | awk '{ printf "%d MB", $1 / 1e6 }')"
