#!/usr/bin/env bash
# Stand-in base images for machines that reach no image registry: node:20-bookworm-slim,
# postgres:16 and redis:7 look-alikes built from Debian packages (debootstrap from the machine's
# own Debian mirror) and the host's Node. Builds only the images that are absent.
#
#   tools/compose/base-images.sh            # prints the three image names when done
#
# The images are tagged keygate-standin/<official name>, never with the official names, and are
# handed to the compose file and Dockerfile.prebuilt through KEYGATE_*_IMAGE variables.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
PREFIX="${KEYGATE_STANDIN_PREFIX:-keygate-standin}"
NODE_IMAGE="$PREFIX/node:20-bookworm-slim"
POSTGRES_IMAGE="$PREFIX/postgres:16"
REDIS_IMAGE="$PREFIX/redis:7"

log() { printf '[base-images] %s\n' "$*" >&2; }
present() { docker image inspect "$1" >/dev/null 2>&1; }

missing=()
for image in "$NODE_IMAGE" "$POSTGRES_IMAGE" "$REDIS_IMAGE"; do present "$image" || missing+=("$image"); done
if [ ${#missing[@]} -eq 0 ]; then
  log "present: $NODE_IMAGE $POSTGRES_IMAGE $REDIS_IMAGE"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "FATAL: debootstrap is missing (apt-get install -y debootstrap)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "FATAL: building the stand-in images needs root (debootstrap, chroot)" >&2; exit 1; }

MIRROR="${KEYGATE_DEBIAN_MIRROR:-}"
if [ -z "$MIRROR" ]; then
  MIRROR="$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
  [ -n "$MIRROR" ] || MIRROR="$(awk '$1=="deb"{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)"
fi
[ -n "$MIRROR" ] || { echo "FATAL: no Debian mirror found; set KEYGATE_DEBIAN_MIRROR" >&2; exit 1; }

WORK="$(mktemp -d /var/tmp/keygate-standin.XXXXXX)"
cleanup() {
  # debootstrap mounts proc/sys in the target while it runs; never delete through a mount.
  { grep -o " $WORK/[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do umount -l "$m" || true; done
  rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT
started=$(date +%s)
log "debootstrap bookworm (minbase) from $MIRROR"
debootstrap --variant=minbase --include=ca-certificates bookworm "$WORK/base" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
  || { tail -n 30 "$WORK/debootstrap.log" >&2; echo "FATAL: debootstrap failed" >&2; exit 1; }
# Services never start inside the chroot; PostgreSQL's package makes no cluster (the entrypoint does).
printf '#!/bin/sh\nexit 101\n' >"$WORK/base/usr/sbin/policy-rc.d"
chmod +x "$WORK/base/usr/sbin/policy-rc.d"
mkdir -p "$WORK/base/etc/postgresql-common"
echo 'create_main_cluster = false' >"$WORK/base/etc/postgresql-common/createcluster.conf"
log "debootstrap: $(( $(date +%s) - started )) s"

# rootfs <name>: a copy of the base with packages installed.
rootfs() {
  local dir="$WORK/$1"; shift
  cp -a "$WORK/base" "$dir"
  if [ $# -gt 0 ]; then
    cp /etc/resolv.conf "$dir/etc/resolv.conf"
    chroot "$dir" sh -c "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $*" >"$WORK/apt.log" 2>&1 \
      || { tail -n 30 "$WORK/apt.log" >&2; echo "FATAL: apt-get install $* failed in the image" >&2; exit 1; }
    chroot "$dir" apt-get clean
    : >"$dir/etc/resolv.conf"
  fi
  rm -rf "$dir/var/lib/apt/lists/"*
  echo "$dir"
}

import() {
  local dir="$1" image="$2"; shift 2
  local changes=()
  for c in "$@"; do changes+=(--change "$c"); done
  tar -C "$dir" -c . | docker import "${changes[@]}" - "$image" >/dev/null
  rm -rf "$dir"
  log "built $image"
}

if ! present "$NODE_IMAGE"; then
  dir="$(rootfs node)"
  node_bin="$(command -v node)"
  npm_dir="$(dirname "$(dirname "$node_bin")")/lib/node_modules/npm"
  install -m 0755 "$node_bin" "$dir/usr/local/bin/node"
  mkdir -p "$dir/usr/local/lib/node_modules"
  [ -d "$npm_dir" ] && cp -a "$npm_dir" "$dir/usr/local/lib/node_modules/npm" \
    && ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$dir/usr/local/bin/npm" \
    && ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$dir/usr/local/bin/npx"
  chroot "$dir" groupadd --gid 1000 node
  chroot "$dir" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  import "$dir" "$NODE_IMAGE" 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' 'CMD ["node"]'
fi

if ! present "$POSTGRES_IMAGE"; then
  dir="$(rootfs postgres postgresql)"
  install -m 0755 "$HERE/standin/postgres-entrypoint.sh" "$dir/usr/local/bin/docker-entrypoint.sh"
  pgbin="$(ls -d "$dir"/usr/lib/postgresql/*/bin | head -n1)"; pgbin="${pgbin#"$dir"}"
  import "$dir" "$POSTGRES_IMAGE" "ENV PATH=$pgbin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    'ENV PGDATA=/var/lib/postgresql/data' 'VOLUME /var/lib/postgresql/data' 'EXPOSE 5432' \
    'ENTRYPOINT ["docker-entrypoint.sh"]' 'CMD ["postgres"]'
fi

if ! present "$REDIS_IMAGE"; then
  dir="$(rootfs redis redis-server redis-tools)"
  install -m 0755 "$HERE/standin/redis-entrypoint.sh" "$dir/usr/local/bin/docker-entrypoint.sh"
  import "$dir" "$REDIS_IMAGE" 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    'EXPOSE 6379' 'ENTRYPOINT ["docker-entrypoint.sh"]' 'CMD ["redis-server"]'
fi
log "done in $(( $(date +%s) - started )) s"
