#!/bin/sh
# Entrypoint of the real-node tier's stand-in for postgres:17.10-bookworm (see
# ../README.md, "The platform's PostgreSQL image"). Written for this image (busybox sh, no
# bash, no gosu, no psql); it keeps the official image's contract that
# bootstrap/base/postgres.yaml relies on:
# - POSTGRES_USER (default postgres), POSTGRES_PASSWORD, POSTGRES_DB (default the user),
#   each also from a file named by <NAME>_FILE; POSTGRES_INITDB_ARGS; PGDATA;
#   POSTGRES_HOST_AUTH_METHOD (default scram-sha-256);
# - an empty PGDATA is initialised once (initdb with the superuser's password), a data
#   directory holding PG_VERSION is used as it is;
# - connections from other hosts need the password (`host all all all scram-sha-256`),
#   local ones are trusted (initdb's default, as in the official image);
# - PostgreSQL listens on all addresses; arguments starting with `-` go to postgres.
set -eu

# Reads NAME from NAME or the file named by NAME_FILE (both is an error), else the default.
file_env() {
  var=$1
  file_var="${var}_FILE"
  eval "value=\${$var:-}"
  eval "file=\${$file_var:-}"
  if [ -n "$value" ] && [ -n "$file" ]; then
    echo >&2 "error: both $var and $file_var are set (but are exclusive)"
    exit 1
  fi
  if [ -n "$file" ]; then value=$(cat "$file"); fi
  if [ -z "$value" ]; then value=${2:-}; fi
  export "$var=$value"
  unset "$file_var"
}

case "${1:-}" in
  -*) set -- postgres "$@" ;;
esac
if [ "${1:-}" != postgres ]; then
  exec "$@"
fi
if [ "$(id -u)" = 0 ]; then
  echo >&2 'error: this image runs PostgreSQL as the user postgres only (uid 999); it has no gosu to drop root: set runAsUser: 999'
  exit 1
fi

export PGDATA="${PGDATA:-/var/lib/postgresql/data}"
file_env POSTGRES_PASSWORD
file_env POSTGRES_USER postgres
file_env POSTGRES_DB "$POSTGRES_USER"
file_env POSTGRES_INITDB_ARGS
auth="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"

mkdir -p "$PGDATA"
chmod 700 "$PGDATA" 2>/dev/null || :
mkdir -p /var/run/postgresql
chmod 3777 /var/run/postgresql 2>/dev/null || :

if [ -s "$PGDATA/PG_VERSION" ]; then
  echo 'PostgreSQL Database directory appears to contain a database; Skipping initialization'
  exec "$@"
fi

if [ -z "$POSTGRES_PASSWORD" ] && [ "$auth" != trust ]; then
  cat >&2 <<'EOM'
error: Database is uninitialized and superuser password is not specified.
       You must specify POSTGRES_PASSWORD to a non-empty value for the
       superuser. (Or POSTGRES_HOST_AUTH_METHOD=trust to allow all connections
       without a password: NOT recommended.)
EOM
  exit 1
fi
case "$POSTGRES_USER$POSTGRES_DB" in
  *'
'*) echo >&2 'error: POSTGRES_USER and POSTGRES_DB may not hold a line break'; exit 1 ;;
esac

# The password reaches initdb through a pipe: it is never written to a file or an argument.
# POSTGRES_INITDB_ARGS is split into words, as the official image does.
# shellcheck disable=SC2086
if [ -n "$POSTGRES_PASSWORD" ]; then
  printf '%s\n' "$POSTGRES_PASSWORD" | initdb --username="$POSTGRES_USER" --pwfile=/dev/stdin $POSTGRES_INITDB_ARGS
else
  initdb --username="$POSTGRES_USER" $POSTGRES_INITDB_ARGS
fi
printf '\n# Added by the entrypoint: every other host with a password.\nhost all all all %s\n' "$auth" >> "$PGDATA/pg_hba.conf"
# As the official image's configuration has them: every address, the socket in /var/run/postgresql.
printf "\n# Added by the entrypoint, as in the official image.\nlisten_addresses = '*'\nunix_socket_directories = '/var/run/postgresql'\n" >> "$PGDATA/postgresql.conf"

if [ "$POSTGRES_DB" != postgres ]; then
  # No psql in this image: the database is made in single-user mode, its name quoted as an
  # identifier (each " doubled).
  name=$(printf '%s' "$POSTGRES_DB" | sed 's/"/""/g')
  out=$(printf 'CREATE DATABASE "%s";\n' "$name" | postgres --single -D "$PGDATA" postgres 2>&1) || {
    echo >&2 "$out"; exit 1;
  }
  case "$out" in
    *ERROR*) echo >&2 "$out"; exit 1 ;;
  esac
fi
echo 'PostgreSQL init process complete; ready for start up.'
exec "$@"
