#!/bin/sh
# Like the node image's entrypoint, which the upstream directus/directus image
# inherits: runs the command, prefixed with `node` when the first argument is an
# option or not a command.
set -e
if [ "${1#-}" != "$1" ] || [ -z "$(command -v "$1" || true)" ] || { [ -f "$1" ] && ! [ -x "$1" ]; }; then
  set -- node "$@"
fi
exec "$@"
