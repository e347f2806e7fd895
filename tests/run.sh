#!/usr/bin/env bash
# Runs every test suite; each prints "ok - NAME" / "not ok - NAME" lines (TAP-like).
# The last line is "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export GUICHETD="$PWD/$BUILD/guichetd"
export GUICHET="$PWD/$BUILD/guichet"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
passed=0
failed=0

suite() {
	local name=$1
	shift
	echo "== $name"
	"$@" >"$log" 2>&1
	local rc=$?
	cat "$log"
	local ok bad
	ok=$(grep -c '^ok ' "$log")
	bad=$(grep -c '^not ok ' "$log")
	if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
		echo "not ok - $name exited $rc without reporting a failure"
		bad=1
	fi
	passed=$((passed + ok))
	failed=$((failed + bad))
}

suite unit-server "$BUILD/test-unit-server"
for t in tests/api/test_*.py; do
	suite "$(basename "$t" .py)" /usr/bin/python3 "$t"
done

# The API suite again on the PostgreSQL store, on a throw-away cluster (tests/pg.sh),
# plus the tests of several nodes on one database. The console's own suites talk to
# the server only over HTTP: once is enough.
read -r pgdir pgurl < <(bash tests/pg.sh start) || { echo "not ok - cannot start PostgreSQL"; failed=$((failed + 1)); }
if [ -n "${pgurl:-}" ]; then
	trap 'rm -f "$log"; bash tests/pg.sh stop "$pgdir"' EXIT
	for t in tests/api/test_*.py; do
		case $t in *console_ui* | *console_safety*) continue ;; esac
		suite "$(basename "$t" .py) [pg]" env GUICHET_TEST_STORE=pg GUICHET_TEST_PG_URL="$pgurl" /usr/bin/python3 "$t"
	done
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
