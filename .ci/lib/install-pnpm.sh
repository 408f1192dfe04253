#!/usr/bin/env bash
# Installs pnpm from the npm registry at the version package.json pins
# ("packageManager": "pnpm@X.Y.Z") into a cache directory, once per version, with a
# `bin/pnpm` to run it (the dev-stack test runs `pnpm dev:reset` with it). Prints one
# line on a cache hit.
#   Usage: install-pnpm.sh VERSION NODE      (NODE: the node put first on pnpm's PATH)
set -euo pipefail
ver=${1:?usage: install-pnpm.sh VERSION NODE}
node=${2:?usage: install-pnpm.sh VERSION NODE}
cache=${TRM_CI_CACHE:-/var/cache/trm-ci}
dir="$cache/pnpm-$ver"
[ -x "$node" ] || { echo "[ci] ERROR: pnpm $ver: node $node is not executable" >&2; exit 1; }
mkdir -p "$cache"
exec 8>"$cache/pnpm-$ver.lock"
flock 8
if [ -f "$dir/.complete" ] && [ "$(cat "$dir/.node")" = "$node" ]; then
  echo "[ci] pnpm $ver: cached in $dir"
  exit 0
fi
echo "[ci] pnpm $ver: installing into $dir"
rm -rf "$dir.tmp"
mkdir -p "$dir.tmp/bin"
cd "$dir.tmp"
printf '{"name":"trm-ci-pnpm-cache","private":true}\n' > package.json
NPM_CONFIG_UPDATE_NOTIFIER=false npm install --no-audit --no-fund --loglevel=error \
  "pnpm@$ver" >npm-install.log 2>&1 || { tail -50 npm-install.log; exit 1; }
[ -e node_modules/.bin/pnpm ] || { echo "[ci] ERROR: pnpm $ver: npm installed no node_modules/.bin/pnpm" >&2; exit 1; }
# pnpm's bin is a native binary (or, where npm ran no install script, a placeholder
# that starts it through the node on PATH).
nodedir=$(dirname "$node")
cat >bin/pnpm <<SH
#!/bin/sh
# pnpm $ver from the npm registry; written by .ci/lib/install-pnpm.sh
PATH="$nodedir:\$PATH" exec "$dir/node_modules/.bin/pnpm" "\$@"
SH
chmod +x bin/pnpm
printf '%s\n' "$node" >.node
got=$(PATH="$nodedir:$PATH" npm_config_update_notifier=false node_modules/.bin/pnpm --version)
[ "$got" = "$ver" ] || { echo "[ci] ERROR: pnpm $ver: --version says '$got'" >&2; exit 1; }
touch .complete
cd /
rm -rf "$dir"
mv "$dir.tmp" "$dir"
echo "[ci] pnpm $ver: installed"
