#!/usr/bin/env bash
# Builds trm-ci/redis:7 (see README.md here), unless an image with the same builder inputs
# already exists. Needs debootstrap and a Docker engine. Used by the Swarm run of the
# N-replica stack (.ci/dev/swarm-rolling-update.sh), never by the image itself.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../lib/common.sh"

tag=trm-ci/redis:7
packages=(redis-server redis-tools)
inputs=$( {
  echo "packages=${packages[*]}"
  cat "$here/build.sh" "$here/docker-entrypoint.sh" "$here/README.md" "$ci_root/.ci/lib/rootfs.sh"
} | sha256sum | cut -c1-16)
current=$(docker image inspect -f '{{ index .Config.Labels "org.trm-ci.inputs" }}' "$tag" 2>/dev/null || true)
if [ "$current" = "$inputs" ]; then
  log "redis $tag: up to date (inputs $inputs)"
  exit 0
fi

old_id=$(docker image inspect -f '{{ .Id }}' "$tag" 2>/dev/null || true)
t0=$(now)
rootfs=$(bash "$ci_root/.ci/lib/rootfs.sh" redis "${packages[@]}")
stage="$ci_cache/redis-image.tmp"
rm -rf "$stage"
mkdir -p "$stage"
tar -C "$stage" --numeric-owner -xf "$rootfs"
install -m 0755 "$here/docker-entrypoint.sh" "$stage/usr/local/bin/docker-entrypoint.sh"
install -m 0644 "$here/README.md" "$stage/STANDIN-README.md"
mkdir -p "$stage/data"
uid=$(awk -F: '$1 == "redis" { print $3 }' "$stage/etc/passwd")
gid=$(awk -F: '$1 == "redis" { print $4 }' "$stage/etc/passwd")
[ -n "$uid" ] || die "no redis user in the rootfs"
chown "$uid:$gid" "$stage/data"

tar -C "$stage" --numeric-owner -c . | docker import \
  --change 'ENV LANG=C.UTF-8' \
  --change 'WORKDIR /data' \
  --change "USER $uid:$gid" \
  --change 'EXPOSE 6379' \
  --change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
  --change 'CMD ["redis-server", "--save", "", "--appendonly", "no"]' \
  --change "LABEL org.trm-ci.standin=true org.trm-ci.inputs=$inputs" \
  - "$tag" >/dev/null
rm -rf "$stage"
[ -n "$old_id" ] && docker rmi "$old_id" >/dev/null 2>&1 || true
log "redis $tag: built in $(($(now) - t0))s, $(docker image inspect -f '{{ .Size }}' "$tag" | awk '{ printf "%d MB", $1 / 1e6 }')"
