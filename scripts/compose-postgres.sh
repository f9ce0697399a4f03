#!/bin/sh
# The `postgres` service of docker-compose.postgres.yml, run as the image's non-root user: the
# first start makes the cluster in the data volume (the role and database `asyncgap`, password
# $POSTGRES_PASSWORD for connections over the compose network); every start then runs postgres
# in the foreground. The base image has Debian's PostgreSQL 15 (scripts/build-base-image.sh).
set -eu
BIN=/usr/lib/postgresql/15/bin
DATA=/app/var/postgres
ROLE=asyncgap

if [ ! -x "$BIN/postgres" ]; then
  echo "compose-postgres: no $BIN/postgres in this image: build it on scripts/build-base-image.sh's base" >&2
  exit 2
fi
: "${POSTGRES_PASSWORD:?compose-postgres: POSTGRES_PASSWORD is not set}"

if [ ! -s "$DATA/PG_VERSION" ]; then
  # Made aside and renamed into place: a start interrupted here leaves no half-made cluster.
  rm -rf "$DATA.init"
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  "$BIN/initdb" -D "$DATA.init" -U "$ROLE" --pwfile="$pwfile" --auth-local=trust \
    --auth-host=scram-sha-256 --encoding=UTF8 --no-locale --no-instructions >/dev/null
  rm -f "$pwfile"
  # initdb lets in loopback only; the setups connect from the compose network, with the password.
  echo "host all $ROLE all scram-sha-256" >>"$DATA.init/pg_hba.conf"
  echo "CREATE DATABASE $ROLE" | "$BIN/postgres" --single -D "$DATA.init" -j postgres >/dev/null
  mv "$DATA.init" "$DATA"
fi

# Two workers x (a sync pool of 40 + an async pool of 100) per loaded setup, as the local harness.
exec "$BIN/postgres" -D "$DATA" -c listen_addresses='*' -c unix_socket_directories=/tmp \
  -c max_connections=400
