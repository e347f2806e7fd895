#!/usr/bin/env bash
# Throughput of guichetd on this machine: /health (the ceiling) and POST /otp resend
# (a write transaction each). Prints figures; asserts nothing. Needs wrk (apt-get install wrk).
set -eu
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "bench: wrk is not installed (apt-get install wrk)"; exit 1; }
make --no-print-directory -s build/guichetd
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
{ echo phone; for i in $(seq 1000 1999); do echo "06000$i"; done; } >"$dir/c.csv"
./build/guichetd citizen import "$dir/c.csv" --db "$dir/b.db" >/dev/null
./build/guichetd serve --db "$dir/b.db" --listen 127.0.0.1:0 --otp-cooldown 0 --rate-limit 0 --mail "outbox:$dir/out" \
	>"$dir/out.txt" 2>/dev/null &
pid=$!
until grep -q listening "$dir/out.txt" 2>/dev/null; do sleep 0.05; done
url=$(sed 's/listening on //' "$dir/out.txt")
for i in $(seq 1000 1999); do
	curl -s -o /dev/null -XPOST "$url/otp" -d "{\"type\":\"create\",\"phoneNumber\":\"06000$i\"}"
done
cat >"$dir/otp.lua" <<'LUA'
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("POST", "/otp", {["Content-Type"]="application/json"},
    '{"type":"resend","phoneNumber":"06000' .. (1000 + counter % 1000) .. '"}')
end
LUA
echo "GET /health (keep-alive, 50 connections):"
wrk -t2 -c50 -d5s "$url/health" | grep -E "Requests/sec|Latency"
echo "POST /otp resend (one fsynced SQLite transaction each):"
wrk -t2 -c50 -d5s -s "$dir/otp.lua" "$url/otp" | grep -E "Requests/sec|Latency|Non-2xx"
