#!/usr/bin/env bash
# Throughput of guichetd on this machine, in one run so that machine noise cancels:
# /health (the ceiling), POST /otp resend on SQLite, then on PostgreSQL with one node and
# with two nodes on one database. Every write is durable: SQLite synchronous=FULL,
# PostgreSQL fsync=on. Prints figures and ratios; asserts nothing. Needs wrk.
set -eu
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "bench: wrk is not installed (apt-get install wrk)"; exit 1; }
make --no-print-directory -s build/guichetd
dir=$(mktemp -d)
pids=()
pgdir=
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	[ -z "$pgdir" ] || bash tests/pg.sh stop "$pgdir"
	rm -rf "$dir"
}
trap cleanup EXIT
{ echo phone; for i in $(seq 1000 1999); do echo "06000$i"; done; } >"$dir/c.csv"
cat >"$dir/otp.lua" <<'LUA'
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("POST", "/otp", {["Content-Type"]="application/json"},
    '{"type":"resend","phoneNumber":"06000' .. (1000 + counter % 1000) .. '"}')
end
LUA

# start DB NAME: a guichetd on DB; its URL in $dir/NAME.url
start() {
	./build/guichetd serve --db "$1" --listen 127.0.0.1:0 --otp-cooldown 0 --rate-limit 0 --mail "outbox:$dir/out" \
		>"$dir/$2.out" 2>/dev/null &
	pids+=($!)
	until grep -q listening "$dir/$2.out" 2>/dev/null; do sleep 0.05; done
	sed 's/listening on //' "$dir/$2.out" >"$dir/$2.url"
}

# prepare DB URL: citizens imported and a first code each, so that every resend writes
prepare() {
	./build/guichetd citizen import "$dir/c.csv" --db "$1" >/dev/null
	for i in $(seq 1000 1999); do
		curl -s -o /dev/null -XPOST "$2/otp" -d "{\"type\":\"create\",\"phoneNumber\":\"06000$i\"}"
	done
}

rate() { grep Requests/sec | awk '{print $2}'; }

start "$dir/b.db" lite
prepare "$dir/b.db" "$(cat "$dir/lite.url")"
echo "GET /health (keep-alive, 50 connections):"
health=$(wrk -t2 -c50 -d5s "$(cat "$dir/lite.url")/health" | tee /dev/stderr | rate)
echo "POST /otp resend, SQLite (one fsynced transaction each):"
lite=$(wrk -t2 -c50 -d5s -s "$dir/otp.lua" "$(cat "$dir/lite.url")/otp" | tee /dev/stderr | rate)

read -r pgdir pgurl < <(PG_FSYNC=on bash tests/pg.sh start)
psql -X -q -d "$pgurl/postgres" -c 'CREATE DATABASE bench'
start "$pgurl/bench" pg1
prepare "$pgurl/bench" "$(cat "$dir/pg1.url")"
echo "POST /otp resend, PostgreSQL, one node (fsync on):"
pg1=$(wrk -t2 -c50 -d5s -s "$dir/otp.lua" "$(cat "$dir/pg1.url")/otp" | tee /dev/stderr | rate)
start "$pgurl/bench" pg2
echo "POST /otp resend, PostgreSQL, two nodes on one database (25 connections each):"
wrk -t1 -c25 -d5s -s "$dir/otp.lua" "$(cat "$dir/pg1.url")/otp" >"$dir/w1" &
first=$!
wrk -t1 -c25 -d5s -s "$dir/otp.lua" "$(cat "$dir/pg2.url")/otp" >"$dir/w2"
wait "$first"
cat "$dir/w1" "$dir/w2" >&2
pg2=$(awk '/Requests\/sec/ {s += $2} END {print s}' "$dir/w1" "$dir/w2")

echo
printf 'health %s req/s · otp SQLite %s · otp PostgreSQL 1 node %s · 2 nodes %s\n' "$health" "$lite" "$pg1" "$pg2"
awk -v h="$health" -v l="$lite" -v a="$pg1" -v b="$pg2" 'BEGIN {
	printf "ratios: otp/health %.1f %% · PostgreSQL/SQLite %.2f (1 node), %.2f (2 nodes)\n", 100 * l / h, a / l, b / l }'
