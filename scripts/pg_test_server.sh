#!/usr/bin/env bash
# Starts (or stops) a throw-away PostgreSQL server on loopback for knob's tests and
# benchmarks, using Debian's postgresql binaries; prints the URL to use.
#   scripts/pg_test_server.sh start [DIR] [PORT]   -> postgresql://knob@127.0.0.1:PORT/postgres
#   scripts/pg_test_server.sh restart [DIR]   (a server restart under running clients)
#   scripts/pg_test_server.sh stop  [DIR]
# The cluster lives in DIR (default /tmp/knob-pg): role `knob` is a superuser that
# connects without a password from 127.0.0.1; role `knob_pw` needs password `secret`
# (for the wrong-credentials test). As root, the server runs as the `postgres` user.
set -euo pipefail
action=${1:?start or stop}
dir=${2:-/tmp/knob-pg}
port=${3:-55432}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_owner=()
if [ "$(id -u)" -eq 0 ]; then as_owner=(runuser -u postgres --); fi

case "$action" in
  start)
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      mkdir -p "$dir"
      [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
      "${as_owner[@]}" "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync >/dev/null
      cat > "$dir/data/pg_hba.conf" <<HBA
local all all trust
host  all knob_pw 127.0.0.1/32 scram-sha-256
host  all all     127.0.0.1/32 trust
HBA
    fi
    "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off -c max_connections=200" start >/dev/null
    "${as_owner[@]}" "$bin/psql" -h "$dir" -p "$port" -U postgres -d postgres -q -v ON_ERROR_STOP=1 <<SQL >/dev/null
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'knob') THEN CREATE ROLE knob LOGIN SUPERUSER; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'knob_pw') THEN CREATE ROLE knob_pw LOGIN PASSWORD 'secret'; END IF;
END \$\$;
SQL
    echo "postgresql://knob@127.0.0.1:$port/postgres"
    ;;
  restart)
    "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m fast -w restart >/dev/null
    ;;
  stop)
    [ -f "$dir/data/postmaster.pid" ] && "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start|restart|stop [DIR] [PORT]" >&2; exit 2 ;;
esac
