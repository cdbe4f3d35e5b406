#!/usr/bin/env bash
# Brings up a local PostgreSQL server (Debian's package) for the dashboard-store integration tests; idempotent.
# Logs go to stderr; the last line on stdout is TEST_DATABASE_URL=…, e.g.  export "$(bash .ci/postgres.sh | tail -n 1)"
set -euo pipefail

# Loopback-only test credentials: nothing but the test suite ever connects with them.
PG_TEST_USER="${PG_TEST_USER:-oms_test}"
PG_TEST_PASSWORD="${PG_TEST_PASSWORD:-oms_test}"
PG_TEST_DB="${PG_TEST_DB:-oms_test}"
READY_TIMEOUT_S="${PG_READY_TIMEOUT_S:-60}"

export DEBIAN_FRONTEND=noninteractive

log() { printf 'postgres.sh: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Package install and cluster start need root (CI runs as root); elsewhere fall back to password-less sudo.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo -n "$@"
  else die "need root (or password-less sudo) to run: $*"
  fi
}

# psql as the cluster's superuser over the Unix socket (peer auth); cd / so that postgres can read its cwd.
as_postgres_psql() {
  (cd / && as_root runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" "$@")
}

# Percent-encodes one URL component, so that any user, password or database name yields a valid URL.
urlencode() {
  local s="$1" out="" c i
  for ((i = 0; i < ${#s}; i++)); do
    c="${s:i:1}"
    case "$c" in
      [a-zA-Z0-9._~-]) out+="$c" ;;
      *) out+="$(printf '%%%02X' "'$c")" ;;
    esac
  done
  printf '%s' "$out"
}

# The first line of a command's output, read whole: piping into `head` under pipefail can fail when it closes the
# pipe before the writer is done (SIGPIPE).
first_line() { local out; out="$("$@")" || return 1; printf '%s' "${out%%$'\n'*}"; }

server_installed() { compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; }

# 1. Install only when no server is there: apt-get update is slow and CI reuses the machine.
if server_installed && command -v pg_ctlcluster >/dev/null 2>&1; then
  log "PostgreSQL already installed: $(ls /usr/lib/postgresql | tr '\n' ' ')"
else
  log "installing PostgreSQL from Debian packages"
  as_root apt-get update -q >&2
  as_root apt-get install -y -q --no-install-recommends postgresql >&2
  server_installed || die "apt-get install postgresql finished but no server binary is under /usr/lib/postgresql"
fi

# 2. Pick a cluster. The package creates 'main' at install time, unless createcluster.conf turned that off.
cluster_line="$(first_line pg_lsclusters -h 2>/dev/null || true)"
if [ -z "$cluster_line" ]; then
  versions="$(ls /usr/lib/postgresql | sort -V)"
  version="${versions##*$'\n'}"
  log "no cluster yet: creating ${version}/main"
  as_root pg_createcluster "$version" main >&2
  cluster_line="$(first_line pg_lsclusters -h)"
fi
read -r PG_VERSION PG_CLUSTER PG_PORT PG_STATUS _ <<<"$cluster_line"
log "cluster ${PG_VERSION}/${PG_CLUSTER} on port ${PG_PORT} is ${PG_STATUS}"

# 3. Start it. pg_ctlcluster, not `service`: containers often forbid service starts (policy-rc.d exits 101),
#    and there is no systemd. The socket directory lives on a tmpfs that a reboot empties.
if [ "$PG_STATUS" != "online" ]; then
  as_root install -d -o postgres -g postgres -m 2775 /var/run/postgresql
  log "starting cluster ${PG_VERSION}/${PG_CLUSTER}"
  as_root pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start >&2 \
    || die "pg_ctlcluster start failed; see /var/log/postgresql/postgresql-${PG_VERSION}-${PG_CLUSTER}.log"
fi

# 4. Wait until the server accepts connections on the socket (its own start returns before that can be true).
deadline=$((SECONDS + READY_TIMEOUT_S))
until as_root runuser -u postgres -- pg_isready -q -p "$PG_PORT"; do
  [ "$SECONDS" -lt "$deadline" ] || die "server not ready after ${READY_TIMEOUT_S}s"
  sleep 0.5
done

# 5. Role and database, idempotently: \gexec runs the generated statement only when the row exists;
#    the password is (re)set every time so that a changed PG_TEST_PASSWORD takes effect on a reused machine.
as_postgres_psql -d postgres -v user="$PG_TEST_USER" -v pw="$PG_TEST_PASSWORD" -v db="$PG_TEST_DB" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'user')
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'user') \gexec
SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', :'user', :'pw') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'user')
  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SQL

url="postgres://$(urlencode "$PG_TEST_USER"):$(urlencode "$PG_TEST_PASSWORD")@127.0.0.1:${PG_PORT}/$(urlencode "$PG_TEST_DB")"

# 6. Prove the URL itself works: TCP on 127.0.0.1 with password auth, exactly as the tests will connect.
until psql -X -q -t -A "$url" -c 'SELECT 1' >/dev/null 2>&1; do
  [ "$SECONDS" -lt "$deadline" ] || { psql -X "$url" -c 'SELECT 1' >&2 || true; die "cannot connect with TEST_DATABASE_URL"; }
  sleep 0.5
done
log "ready: $(psql -X -q -t -A "$url" -c 'SHOW server_version')"

echo "TEST_DATABASE_URL=${url}"
