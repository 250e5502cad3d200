#!/bin/sh
# Stand-in for the official redis image's entrypoint: other containers may connect (the official
# image turns protected mode off the same way).
set -eu
if [ "${1#-}" != "$1" ]; then set -- redis-server "$@"; fi
if [ "${1:-}" = redis-server ]; then set -- "$@" --protected-mode no; fi
exec "$@"
