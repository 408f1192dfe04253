#!/bin/sh
# Entrypoint of trm-ci/redis:7. The official redis image is built with protected mode off
# (its Dockerfile patches the default), so `command: ["redis-server", ...]` in a stack file
# answers clients on other containers without a config file; Debian's binary keeps protected
# mode on. This passes `--protected-mode no` to redis-server, whatever command the deployer
# gives, and runs anything else as it is.
set -eu
if [ "${1#-}" != "$1" ]; then
  set -- redis-server "$@"
fi
if [ "$1" = redis-server ]; then
  set -- "$@" --protected-mode no
fi
exec "$@"
