#!/usr/bin/env bash
# Usage: scripts/with-postgis.sh CMD [ARG...]
#
# Runs CMD against a throwaway PostgreSQL 15 + PostGIS cluster:
#   - installs Debian's postgresql-15-postgis-3 when missing (needs root);
#   - initdb's a cluster in a temporary folder, starts it on a free port on 127.0.0.1;
#   - creates database civmap_test with the postgis and pg_trgm extensions;
#   - exports CIVMAP_TEST_DATABASE_URL (superuser postgres, trust auth) and runs CMD
#     in the current directory;
#   - with CIVMAP_WITH_REPLICA=1 (scripts/with-replica.sh) also a streaming replica: pg_basebackup -R from the primary
#     (wal_level replica and the replication entries of initdb's pg_hba, trust), started on another free port as a hot
#     standby, exported as CIVMAP_TEST_REPLICA_URL (same database civmap_test, superuser postgres);
#   - always stops the cluster(s) and removes the folder on exit, and exits with CMD's code.
# If the cluster cannot be set up, it prints the server log and exits non-zero:
# tests must never skip PostGIS silently.
#
# As root (CI), the server runs as the `postgres` system user (PostgreSQL refuses root).
# Environment: PGBIN overrides /usr/lib/postgresql/15/bin.
set -euo pipefail

if [[ $# -eq 0 ]]; then
  echo "usage: $0 CMD [ARG...]" >&2
  exit 2
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
postgis_control=/usr/share/postgresql/15/extension/postgis.control

log() { echo "with-postgis: $*" >&2; }
die() { log "$*"; exit 1; }
now_us() { echo "${EPOCHREALTIME/./}"; }   # microseconds since the epoch
elapsed() { local us=$(($(now_us) - $1)); printf '%d.%02ds' $((us / 1000000)) $((us % 1000000 / 10000)); }

# --- 1. packages -------------------------------------------------------------
if [[ ! -f $postgis_control || ! -x $PGBIN/initdb ]]; then
  bash "$here/apt-install.sh" postgresql-15-postgis-3
fi
[[ -f $postgis_control ]] || die "PostGIS still missing after install ($postgis_control)"
[[ -x $PGBIN/initdb ]] || die "PostgreSQL 15 server binaries missing ($PGBIN/initdb)"

# --- 2. who runs the server ----------------------------------------------------
if [[ $EUID -eq 0 ]]; then
  id -u postgres >/dev/null 2>&1 || die "system user 'postgres' is missing (it comes with the postgresql-15 package)"
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi

t0=$(now_us)
tmp=$(mktemp -d /tmp/civmap-pg.XXXXXX)   # short path: the Unix socket lives here too
data=$tmp/data
server_log=$tmp/server.log

# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  local t1
  t1=$(now_us)
  if [[ -f $tmp/replica/postmaster.pid ]]; then
    (cd "$tmp" && as_pg "$PGBIN/pg_ctl" -D "$tmp/replica" -m immediate -w -t 30 stop >/dev/null 2>&1) ||
      log "warning: could not stop the replica in $tmp/replica"
  fi
  if [[ -f $data/postmaster.pid ]]; then
    (cd "$tmp" && as_pg "$PGBIN/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null 2>&1) ||
      (cd "$tmp" && as_pg "$PGBIN/pg_ctl" -D "$data" -m immediate -w -t 30 stop >/dev/null 2>&1) ||
      log "warning: could not stop the cluster in $data"
  fi
  rm -rf "$tmp"
  log "cluster stopped and removed in $(elapsed "$t1")"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
if [[ $EUID -eq 0 ]]; then
  chown postgres "$tmp"
fi

show_log() {
  log "---- server log ($server_log) ----"
  cat "$server_log" >&2 2>/dev/null || true
  log "---- end of server log ----"
}

# --- 3. initdb -------------------------------------------------------------------
if ! (cd "$tmp" && as_pg "$PGBIN/initdb" -D "$data" --locale=C.UTF-8 -E UTF8 -U postgres --auth=trust) >"$tmp/initdb.log" 2>&1; then
  cat "$tmp/initdb.log" >&2
  die "initdb failed"
fi

# --- 4. start on a free port -------------------------------------------------------
# A port in 20000-31999 (below Linux's ephemeral range) that nothing listens on;
# if another process grabs it before the server binds, try again with another one.
pick_port() {
  local port _
  for _ in $(seq 100); do
    port=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  return 1
}

port=
for attempt in 1 2 3 4 5; do
  port=$(pick_port) || die "found no free TCP port"
  opts="-p $port -k $tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  if (cd "$tmp" && as_pg "$PGBIN/pg_ctl" -D "$data" -l "$server_log" -w -t 60 -o "$opts" start) >/dev/null 2>&1; then
    break
  fi
  if [[ $attempt -lt 5 ]] && grep -qiE 'could not (bind|create any TCP/IP sockets)|address already in use' "$server_log" 2>/dev/null; then
    log "port $port was taken, trying another"
    port=
    continue
  fi
  show_log
  die "PostgreSQL failed to start (port $port)"
done
[[ -n $port ]] || { show_log; die "PostgreSQL failed to start"; }

# --- 5. database and extensions -----------------------------------------------------
psql_as_super() {
  "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres "$@"
}
if ! psql_as_super -d postgres \
  -c "CREATE DATABASE civmap_test TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8'" >&2; then
  show_log
  die "could not create database civmap_test"
fi
if ! versions=$(psql_as_super -d civmap_test -At \
  -c "CREATE EXTENSION postgis" \
  -c "CREATE EXTENSION pg_trgm" \
  -c "SELECT current_setting('server_version') || ', PostGIS ' || postgis_lib_version()"); then
  show_log
  die "could not create the postgis and pg_trgm extensions in civmap_test"
fi

export CIVMAP_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/civmap_test?sslmode=disable"
log "PostgreSQL $versions ready on 127.0.0.1:$port in $(elapsed "$t0")"
log "CIVMAP_TEST_DATABASE_URL=$CIVMAP_TEST_DATABASE_URL"

# --- 5b. a streaming replica ------------------------------------------------------------
if [[ ${CIVMAP_WITH_REPLICA:-} == 1 ]]; then
  t2=$(now_us)
  rdata=$tmp/replica
  replica_log=$tmp/replica.log
  if ! (cd "$tmp" && as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$port" -U postgres -D "$rdata" -R -X stream -c fast) \
    >"$tmp/basebackup.log" 2>&1; then
    cat "$tmp/basebackup.log" >&2
    show_log
    die "pg_basebackup failed"
  fi
  rport=
  for attempt in 1 2 3 4 5; do
    rport=$(pick_port) || die "found no free TCP port"
    ropts="-p $rport -k $tmp -c listen_addresses=127.0.0.1 -c fsync=off -c hot_standby=on -c hot_standby_feedback=on"
    if (cd "$tmp" && as_pg "$PGBIN/pg_ctl" -D "$rdata" -l "$replica_log" -w -t 60 -o "$ropts" start) >/dev/null 2>&1; then
      break
    fi
    if [[ $attempt -lt 5 ]] && grep -qiE 'could not (bind|create any TCP/IP sockets)|address already in use' "$replica_log" 2>/dev/null; then
      rport=
      continue
    fi
    cat "$replica_log" >&2 || true
    die "the replica failed to start (port $rport)"
  done
  [[ -n $rport ]] || die "the replica failed to start"
  state=$("$PGBIN/psql" -X -At -h 127.0.0.1 -p "$rport" -U postgres -d civmap_test -c "SELECT pg_is_in_recovery()") ||
    { cat "$replica_log" >&2; die "the replica does not answer"; }
  [[ $state == t ]] || die "the replica is not in recovery (pg_is_in_recovery() = $state)"
  export CIVMAP_TEST_REPLICA_URL="postgres://postgres@127.0.0.1:$rport/civmap_test?sslmode=disable"
  log "streaming replica ready on 127.0.0.1:$rport in $(elapsed "$t2")"
  log "CIVMAP_TEST_REPLICA_URL=$CIVMAP_TEST_REPLICA_URL"
fi

# --- 6. the command --------------------------------------------------------------------
set +e
"$@"
rc=$?
set -e
exit "$rc"
