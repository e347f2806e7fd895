#!/usr/bin/env bash
# A throw-away PostgreSQL cluster on loopback for the tests (../shared/RECIPES.md).
#   tests/pg.sh start       starts one in a new directory; prints "DIR URL", URL being
#                           postgresql://guichet@127.0.0.1:PORT (trust on loopback)
#   tests/pg.sh stop DIR    stops it and removes DIR
# initdb refuses root: as root the cluster runs as the `postgres` user the package creates.
set -eu
cmd=$1 dir=${2:-}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case $cmd in
start)
	dir=$(mktemp -d /tmp/guichet-pg-XXXXXX)
	chmod 0755 "$dir"
	mkdir -p "$dir/sock"
	[ "$(id -u)" -ne 0 ] || chown -R postgres: "$dir"
	port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	as_owner "$PGBIN/initdb" -D "$dir/data" -U guichet --auth=trust -E UTF8 --no-locale --no-sync >"$dir/initdb.log" 2>&1
	# fsync=off for tests; PG_FSYNC=on (tests/bench.sh) keeps every commit durable, as SQLite's
	as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -p $port -k $dir/sock -c fsync=${PG_FSYNC:-off} -c max_connections=400" \
		start >"$dir/pg_ctl.out" 2>&1
	echo "$dir postgresql://guichet@127.0.0.1:$port"
	;;
stop)
	as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 ||
		kill -9 "$(head -1 "$dir/data/postmaster.pid" 2>/dev/null)" 2>/dev/null || true
	rm -rf "$dir"
	;;
esac
