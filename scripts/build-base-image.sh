#!/usr/bin/env bash
# Offline plumbing for machines with NO container registry (this project's machines and CI):
#   1. debootstrap a Debian bookworm root filesystem (minbase + python3 + python3-venv, and
#      PostgreSQL 15 for docker-compose.postgres.yml's `postgres` service) and `docker import` it
#      as a local base image, standing in for python:3.11-slim;
#   2. `pip download` the pinned wheels on the host into a git-ignored wheelhouse, for build
#      containers that cannot reach the package index.
# Both are cached: the image is kept while this script is unchanged, the wheelhouse while
# requirements.txt is. Used by tests/e2e/test_compose.py; a user with a registry needs none of it.
#
#   scripts/build-base-image.sh [IMAGE]     prints IMAGE (default asyncgap-base:bookworm) when ready
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE="${1:-asyncgap-base:bookworm}"
SUITE=bookworm
WHEELHOUSE=.wheelhouse
PYTHON_VERSION=3.11  # bookworm's python3
POSTGRES_VERSION=15  # bookworm's postgresql
RECIPE=$(sha256sum "$0" | cut -c1-16)

log() { echo "build-base-image: $*" >&2; }

# The URI of this machine's apt source for a Debian suite (empty if it has none).
debian_mirror() {
  apt-get indextargets --format '$(REPO_URI)' "Codename: $1" "Label: $2" "Identifier: Packages" \
    "Target-Of: deb" | head -n1
}

# --- 1. the base image -------------------------------------------------------------------
base_image() {
  if [ "$(docker image inspect -f '{{ index .Config.Labels "asyncgap.recipe" }}' "$IMAGE" 2>/dev/null)" = "$RECIPE" ]; then
    log "$IMAGE is up to date (recipe $RECIPE), not rebuilt"
    return
  fi
  scripts/ensure-debian-packages.sh debootstrap debian-archive-keyring >&2
  # The mirror is whatever this machine's own apt sources use; none is written here.
  local mirror security
  mirror=$(debian_mirror "$SUITE" Debian)
  if [ -z "$mirror" ]; then  # the labels come from the Release files that 'apt-get update' fetches
    apt-get update -qq >&2
    mirror=$(debian_mirror "$SUITE" Debian)
  fi
  security=$(debian_mirror "$SUITE-security" Debian-Security)
  if [ -z "$mirror" ]; then
    log "error: no Debian $SUITE mirror in this machine's apt sources"
    exit 1
  fi
  local root
  root=$(mktemp -d /var/tmp/asyncgap-rootfs.XXXXXX)
  # shellcheck disable=SC2064
  trap "for m in proc sys dev/pts dev; do umount -l '$root/\$m' 2>/dev/null || true; done; rm -rf --one-file-system '$root'" EXIT
  log "debootstrap $SUITE from $mirror into $root"
  debootstrap --variant=minbase --include=python3,python3-venv "$SUITE" "$root" "$mirror" >&2
  {
    echo "deb $mirror $SUITE main"
    echo "deb $mirror $SUITE-updates main"
    [ -z "$security" ] || echo "deb $security $SUITE-security main"
  } >"$root/etc/apt/sources.list"
  log "applying $SUITE-updates and security updates"
  chroot "$root" sh -c 'apt-get -o APT::Sandbox::User=root update -qq && DEBIAN_FRONTEND=noninteractive \
    apt-get -o APT::Sandbox::User=root -qq -y upgrade && apt-get clean' >&2
  # PostgreSQL from the same suite, by apt (debootstrap resolves no alternatives): no service is
  # started in the chroot (policy-rc.d) and no cluster made, since the container makes its own
  # (scripts/compose-postgres.sh).
  log "installing postgresql-$POSTGRES_VERSION"
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d" && chmod +x "$root/usr/sbin/policy-rc.d"
  mkdir -p "$root/etc/postgresql-common/createcluster.d"
  echo "create_main_cluster = false" >"$root/etc/postgresql-common/createcluster.d/asyncgap.conf"
  chroot "$root" sh -c "DEBIAN_FRONTEND=noninteractive apt-get -o APT::Sandbox::User=root -qq -y \
    --no-install-recommends install postgresql-$POSTGRES_VERSION && apt-get clean" >&2
  rm "$root/usr/sbin/policy-rc.d"
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/var/log/* \
    "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/*
  log "docker import $IMAGE"
  tar --numeric-owner -C "$root" -c . | docker import \
    --change "LABEL asyncgap.recipe=$RECIPE" \
    --change "ENV LANG=C.UTF-8" \
    --change 'CMD ["python3"]' \
    - "$IMAGE" >/dev/null
}

# --- 2. the wheelhouse ---------------------------------------------------------------------
wheelhouse() {
  local stamp="$WHEELHOUSE/.requirements.sha256" want
  want=$(sha256sum requirements.txt | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    log "$WHEELHOUSE matches requirements.txt, not downloaded again"
    return
  fi
  rm -rf "$WHEELHOUSE" && mkdir -p "$WHEELHOUSE"
  # Wheels for the image's interpreter and glibc (bookworm: CPython 3.11, glibc 2.36), whatever
  # the host's own Python is; binary only, so the image needs no compiler.
  local platforms=() minor
  for minor in $(seq 36 -1 5); do platforms+=(--platform "manylinux_2_${minor}_x86_64"); done
  platforms+=(--platform manylinux2014_x86_64 --platform manylinux2010_x86_64 --platform manylinux1_x86_64)
  log "pip download requirements.txt into $WHEELHOUSE"
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --implementation cp --python-version "$PYTHON_VERSION" "${platforms[@]}" \
    -r requirements.txt -d "$WHEELHOUSE" >&2
  echo "$want" >"$stamp"
}

exec 9>/var/tmp/asyncgap-build-base-image.lock
flock 9  # one build at a time on this machine (a test run and a developer, say)
base_image
wheelhouse
echo "$IMAGE"
