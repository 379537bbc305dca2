#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL 15 server that this script starts and
# removes again:
#
#   scripts/with-postgres.sh cargo test -p magnetar-core --test session_postgres
#
# The server lives in a temporary directory: initdb (as the `postgres` user when run as
# root, since initdb refuses root), pg_ctl on a free local port with its unix socket in
# that directory, TLS on with a certificate signed by a throwaway CA made by openssl.
# Two roles: `magnetar_owner` owns the database (creates the schema; may CHECKPOINT, for
# the benchmarks), `magnetar_app` can log in and gets only the DML rights the tests grant
# it. The command sees:
#
#   MAGNETAR_TEST_PG_URL       owner URL over TCP, sslmode=disable
#   MAGNETAR_TEST_PG_APP_URL   application-role URL, sslmode=disable
#   MAGNETAR_TEST_PG_HOST/PORT 127.0.0.1 and the port
#   MAGNETAR_TEST_PG_CA        the CA certificate (PEM) that signed the server's
#                              certificate (subjectAltName DNS:localhost only)
#   MAGNETAR_TEST_PG_RESTART   a shell command that restarts the server (pg_ctl restart)
#
# Exits with the command's status; fails (status 1) when the server cannot be started.
# Missing binaries are installed from Debian's `postgresql` package when run as root.
set -euo pipefail

pg_version=${MAGNETAR_PG_VERSION:-15}
bin=${MAGNETAR_PG_BIN:-/usr/lib/postgresql/${pg_version}/bin}

if [ ! -x "${bin}/initdb" ]; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
        echo "with-postgres: ${bin}/initdb missing; installing the postgresql package" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-${pg_version}" >/dev/null ||
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fi
fi
if [ ! -x "${bin}/initdb" ]; then
    echo "with-postgres: FAILED: no PostgreSQL ${pg_version} binaries in ${bin}" \
        "(apt-get install postgresql-${pg_version}, or set MAGNETAR_PG_BIN)" >&2
    exit 1
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/magnetar-pg.XXXXXX")
data="${dir}/data"
# Run the server as `postgres` when we are root (initdb refuses root), as ourselves
# otherwise.
as_server=()
if [ "$(id -u)" -eq 0 ]; then
    if ! id postgres >/dev/null 2>&1; then
        useradd --system --home-dir "${dir}" --shell /bin/sh postgres
    fi
    as_server=(runuser -u postgres --)
fi

cleanup() {
    local status=$?
    if [ -f "${data}/postmaster.pid" ]; then
        "${as_server[@]}" "${bin}/pg_ctl" -D "${data}" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "${dir}"
    exit "${status}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# A throwaway CA and a server certificate for DNS:localhost signed by it.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=magnetar test CA" \
    -keyout "${dir}/ca.key" -out "${dir}/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "${dir}/server.key" -out "${dir}/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' \
    >"${dir}/server.ext"
openssl x509 -req -in "${dir}/server.csr" -CA "${dir}/ca.crt" -CAkey "${dir}/ca.key" \
    -CAcreateserial -days 2 -extfile "${dir}/server.ext" -out "${dir}/server.crt" 2>/dev/null
chmod 600 "${dir}/server.key"
printf 'postgres-superuser-pw\n' >"${dir}/pwfile"
if [ "${#as_server[@]}" -gt 0 ]; then
    chown -R postgres "${dir}"
fi
chmod 755 "${dir}"

"${as_server[@]}" "${bin}/initdb" -D "${data}" -U postgres --pwfile="${dir}/pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-instructions >"${dir}/initdb.log" 2>&1 || {
    cat "${dir}/initdb.log" >&2
    echo "with-postgres: FAILED: initdb" >&2
    exit 1
}
if ! "${as_server[@]}" "${bin}/pg_ctl" -D "${data}" -l "${dir}/server.log" -w -t 60 \
    -o "-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c ssl=on -c ssl_cert_file=${dir}/server.crt -c ssl_key_file=${dir}/server.key -c max_connections=200 -c fsync=off" \
    start >/dev/null; then
    cat "${dir}/server.log" >&2 || true
    echo "with-postgres: FAILED: the server did not start" >&2
    exit 1
fi

"${as_server[@]}" "${bin}/psql" -X -q -v ON_ERROR_STOP=1 -h "${dir}" -p "${port}" -U postgres -d postgres <<'SQL'
CREATE ROLE magnetar_owner LOGIN PASSWORD 'owner-secret-pw';
CREATE ROLE magnetar_app LOGIN PASSWORD 'app-secret-pw';
CREATE DATABASE magnetar OWNER magnetar_owner;
-- scripts/bench_pg_audit.py checkpoints between rounds, as a server in service does.
GRANT pg_checkpoint TO magnetar_owner;
SQL

export MAGNETAR_TEST_PG_HOST=127.0.0.1
export MAGNETAR_TEST_PG_PORT="${port}"
export MAGNETAR_TEST_PG_URL="postgresql://magnetar_owner:owner-secret-pw@127.0.0.1:${port}/magnetar?sslmode=disable"
export MAGNETAR_TEST_PG_APP_URL="postgresql://magnetar_app:app-secret-pw@127.0.0.1:${port}/magnetar?sslmode=disable"
export MAGNETAR_TEST_PG_CA="${dir}/ca.crt"
restart="${bin}/pg_ctl -D ${data} -m fast -w -t 60 restart"
if [ "${#as_server[@]}" -gt 0 ]; then
    restart="runuser -u postgres -- ${restart}"
fi
export MAGNETAR_TEST_PG_RESTART="${restart} >/dev/null"
echo "with-postgres: PostgreSQL $("${bin}/postgres" --version | awk '{print $3}') on 127.0.0.1:${port} (${dir})"

set +e
"$@"
