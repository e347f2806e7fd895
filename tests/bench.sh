#!/usr/bin/env bash
# Speed of guichetd on this machine, in one run so that machine noise cancels out of the
# ratios. Every write is durable: SQLite synchronous=FULL, PostgreSQL fsync=on.
# Each line: route, requests/s, p50 and p99 latency, server RSS after the run.
#   SQLite:      GET /health, POST /otp (create/resend mix), POST /otp/verify, POST login, GET me
#   PostgreSQL:  POST /otp with one node, and with two nodes on one database
# Then the console: first frame, RSS, CPU while idle.
# Ends with the ratios otp/health, login/(cores / one Argon2id time) beside what bare
# Argon2id threads reach on the machine (tests/bench_hash.c), PostgreSQL/SQLite.
# Prints figures; asserts nothing. Needs wrk (apt-get install wrk).
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
SECONDS_EACH=${BENCH_SECONDS:-5}
CONNS=${BENCH_CONNECTIONS:-64}
{ echo phone; for i in $(seq 10000 19999); do echo "060$i"; done; } >"$dir/c.csv"

# wrk scripts: phones spread over 10,000 citizens
cat >"$dir/otp.lua" <<'LUA'
counter = 0
request = function()
  counter = counter + 1
  local kind = (counter % 4 == 0) and "create" or "resend"
  return wrk.format("POST", "/otp", {["Content-Type"]="application/json"},
    '{"type":"' .. kind .. '","phoneNumber":"060' .. (10000 + (counter * 7919) % 10000) .. '"}')
end
LUA
cat >"$dir/verify.lua" <<'LUA'
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("POST", "/otp/verify", {["Content-Type"]="application/json"},
    '{"phoneNumber":"060' .. (10000 + (counter * 7919) % 10000) .. '","otp":"000000"}')
end
LUA

# start NAME DB FLAGS...: a guichetd; its URL in $dir/NAME.url, its pid in $dir/NAME.pid
start() {
	local name=$1 db=$2
	shift 2
	./build/guichetd serve --db "$db" --listen 127.0.0.1:0 --otp-cooldown 0 --rate-limit 0 --otp-guess-budget 0 \
		--max-conns-per-addr 1000 \
		--login-max-failures 0 --mail "outbox:$dir/out-$name" "$@" >"$dir/$name.out" 2>/dev/null &
	pids+=($!)
	echo $! >"$dir/$name.pid"
	until grep -q listening "$dir/$name.out" 2>/dev/null; do sleep 0.05; done
	sed 's/listening on //' "$dir/$name.out" >"$dir/$name.url"
}

# prepare DB URL: 10,000 citizens, each with a code (so that resends write and verifies compare)
prepare() {
	./build/guichetd citizen import "$dir/c.csv" --db "$1" >/dev/null
	# one keep-alive connection per thread: 10,000 curl processes would take minutes
	/usr/bin/python3 - "$2" <<'PY'
import http.client, sys, threading, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
def create(first):
    c = http.client.HTTPConnection(u.hostname, u.port)
    for i in range(first, 20000, 8):
        c.request("POST", "/otp", '{"type":"create","phoneNumber":"060%d"}' % i)
        c.getresponse().read()
threads = [threading.Thread(target=create, args=(10000 + k,)) for k in range(8)]
for t in threads: t.start()
for t in threads: t.join()
PY
}

# the server's RSS now, and its peak so far
rss() { awk '/VmRSS/ {now = $2} /VmHWM/ {peak = $2} END {print now " KiB (peak " peak " KiB)"}' "/proc/$(cat "$dir/$1.pid")/status"; }

# measure KEY LABEL NODE URL [wrk args...]: one line of figures; req/s in $dir/KEY.rate
measure() {
	local key=$1 label=$2 node=$3 url=$4
	shift 4
	wrk -t2 -c"$CONNS" -d"${SECONDS_EACH}s" --latency "$@" "$url" >"$dir/w" 2>&1
	local rate p50 p99
	rate=$(awk '/Requests\/sec/ {print $2}' "$dir/w")
	p50=$(awk '$1 == "50%" {print $2}' "$dir/w")
	p99=$(awk '$1 == "99%" {print $2}' "$dir/w")
	echo "$rate" >"$dir/$key.rate"
	printf '%-34s %10s req/s   p50 %-9s p99 %-9s RSS %s%s\n' "$label" "$rate" "$p50" "$p99" "$(rss "$node")" \
		"$(grep -q 'Non-2xx' "$dir/w" && echo "  ($(grep 'Non-2xx' "$dir/w" | tr -s ' '))")"
}

# an admin with a password and a token: prints the token
admin_token() {
	local url=$1 db=$2 m code
	m=$(./build/guichetd admin add --email bench@example.cm --nom Bench --prenom Admin --db "$db")
	curl -s -o /dev/null -XPOST "$url/api/admin/signin-init" -d "{\"matricule\":\"$m\",\"email\":\"bench@example.cm\"}"
	code=$(cat "$dir"/out-lite/*.eml | tr -d '\r' | grep -E '^[0-9]{6}$' | tail -1)
	curl -s -o /dev/null -XPATCH "$url/api/admin/signin-process" \
		-d "{\"otp\":\"$code\",\"password\":\"bench-Passw0rd\",\"email\":\"bench@example.cm\"}"
	curl -s -XPOST "$url/api/admin/login" -d '{"email":"bench@example.cm","password":"bench-Passw0rd"}' |
		sed 's/.*"token":"\([^"]*\)".*/\1/'
}

echo "guichetd on $(nproc) cores, wrk -t2 -c$CONNS -d${SECONDS_EACH}s, 10,000 citizens"
start lite "$dir/b.db"
url=$(cat "$dir/lite.url")
prepare "$dir/b.db" "$url"
token=$(admin_token "$url" "$dir/b.db")
cat >"$dir/login.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"email":"bench@example.cm","password":"bench-Passw0rd"}'
wrk.headers["Content-Type"] = "application/json"
LUA
measure health "GET /health" lite "$url/health"
measure otp "POST /otp create/resend (SQLite)" lite "$url/otp" -s "$dir/otp.lua"
measure verify "POST /otp/verify (SQLite)" lite "$url/otp/verify" -s "$dir/verify.lua"
measure me "GET /api/admin/me (SQLite)" lite "$url/api/admin/me" -H "Authorization: Bearer $token"
measure login "POST /api/admin/login (SQLite)" lite "$url/api/admin/login" -s "$dir/login.lua"
# 200 logins at once (one each, as 200 admins would): the peak RSS must stay within the
# hashes in flight (guichetd's HASH_SLOTS) x 64 MiB + 32 MiB
seq 200 | xargs -P 200 -I{} curl -s -o /dev/null --max-time 120 -XPOST "$url/api/admin/login" \
	-d '{"email":"bench@example.cm","password":"bench-Passw0rd"}' || true
slots=$(sed -n 's/^#define HASH_SLOTS \([0-9]*\).*/\1/p' net/server/main.c)
printf '%-34s %10s          RSS %s, bound %d hashes x 64 MiB + 32 MiB = %d MiB\n' "POST /api/admin/login, 200 at once" \
	"" "$(rss lite)" "$slots" $((slots * 64 + 32))
# the machine's own Argon2id ceiling, no server involved: one hash alone, and as many
# threads as guichetd hashes at once (HASH_SLOTS), all hashing together
cc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -o "$dir/bench_hash" tests/bench_hash.c \
	$(pkg-config --cflags --libs libsodium) -pthread
read -r bare_ms bare_rate < <("$dir/bench_hash" "$slots")
printf '%-34s %10s hash/s (%d threads at once; one hash alone %s ms)\n' "Argon2id, bare (no server)" \
	"$bare_rate" "$slots" "$bare_ms"
# one Argon2id hash, as a login on an idle server costs it
hash_ms=$(for _ in 1 2 3 4 5; do
	curl -s -o /dev/null -w '%{time_total}\n' -XPOST "$url/api/admin/login" \
		-d '{"email":"bench@example.cm","password":"bench-Passw0rd"}'
done | sort -n | head -1 | awk '{printf "%.1f", $1 * 1000}')

if [ "${BENCH_PG:-1}" = 1 ]; then
	read -r pgdir pgurl < <(PG_FSYNC=on bash tests/pg.sh start)
	psql -X -q -d "$pgurl/postgres" -c 'CREATE DATABASE bench'
	start pg1 "$pgurl/bench"
	prepare "$pgurl/bench" "$(cat "$dir/pg1.url")"
	measure pg1 "POST /otp (PostgreSQL, 1 node)" pg1 "$(cat "$dir/pg1.url")/otp" -s "$dir/otp.lua"
	start pg2 "$pgurl/bench"
	wrk -t1 -c$((CONNS / 2)) -d"${SECONDS_EACH}s" -s "$dir/otp.lua" "$(cat "$dir/pg1.url")/otp" >"$dir/w1" &
	first=$!
	wrk -t1 -c$((CONNS / 2)) -d"${SECONDS_EACH}s" -s "$dir/otp.lua" "$(cat "$dir/pg2.url")/otp" >"$dir/w2"
	wait "$first"
	awk '/Requests\/sec/ {s += $2} END {print s}' "$dir/w1" "$dir/w2" >"$dir/pg2.rate"
	printf '%-34s %10s req/s   (two nodes, %d connections each)\n' "POST /otp (PostgreSQL, 2 nodes)" \
		"$(cat "$dir/pg2.rate")" $((CONNS / 2))
fi

# The console: time from exec to its first frame (read from a pseudo-terminal at 80x24),
# its RSS, and the CPU it uses in 5 s idle on the Connexion screen.
make --no-print-directory -s build/guichet
GUICHET_SERVER=$url /usr/bin/python3 - <<'PY'
import fcntl, os, pty, struct, termios, time
t0 = time.perf_counter()
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    os.execve("./build/guichet", ["guichet"], dict(os.environ, TERM="xterm-256color", LANG="C.UTF-8",
                                                     GUICHET_TOKEN_STORE="none"))
seen = b""
while b"Connexion" not in seen:
    seen += os.read(fd, 65536)
first = (time.perf_counter() - t0) * 1000
def cpu_ms():
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) * 1000 / os.sysconf("SC_CLK_TCK")
time.sleep(1)
before = cpu_ms()
time.sleep(5)
idle = cpu_ms() - before
rss = [l.split()[1] for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS")][0]
os.kill(pid, 15)
os.waitpid(pid, 0)
print(f"console: first frame {first:.1f} ms after exec · RSS {int(rss) / 1024:.1f} MiB · CPU {idle:.0f} ms in 5 s idle")
PY

r() { cat "$dir/$1.rate" 2>/dev/null || echo 0; }
echo
awk -v h="$(r health)" -v o="$(r otp)" -v v="$(r verify)" -v m="$(r me)" -v l="$(r login)" -v hash="$hash_ms" \
	-v bare="$bare_rate" -v bare_ms="$bare_ms" \
	-v cores="$(nproc)" -v p1="$(r pg1)" -v p2="$(r pg2)" 'BEGIN {
	printf "otp/health %.1f %% · verify/health %.1f %% · me/health %.1f %%\n", 100 * o / h, 100 * v / h, 100 * m / h
	printf "login/(cores / one Argon2id time): %.2f / (%d / %s ms) = %.0f %%\n", l, cores, hash, 100 * l / (cores * 1000 / hash)
	printf "  the machine itself, bare: %.2f hash/s together = %.0f %% of cores / one bare hash (%s ms); login reaches %.0f %% of it\n", bare, 100 * bare / (cores * 1000 / bare_ms), bare_ms, 100 * l / bare
	if (p1 > 0) printf "PostgreSQL/SQLite for POST /otp: %.2f (1 node), %.2f (2 nodes)\n", p1 / o, p2 / o
}'
